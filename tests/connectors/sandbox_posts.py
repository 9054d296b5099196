"""Reading the sandbox's network-native post JSON the same way for every network."""

from __future__ import annotations

from connectors.backends.linkedin import little_text_plain
from connectors.backends.mastodon import html_to_text
from connectors.backends.x import readable_text


def post_id(network: str, post: dict) -> str:
    return post["uri"] if network == "bluesky" else str(post["id"])


def post_text(network: str, post: dict) -> str:
    if network == "x":
        return readable_text(post)
    if network == "mastodon":
        return html_to_text(post["content"])
    if network == "facebook":
        return post["message"]
    if network == "youtube":
        return post["snippet"]["textOriginal"]
    if network == "linkedin":
        return little_text_plain(post["commentary"])
    return post["record"]["text"]


def post_parent(network: str, post: dict) -> str | None:
    if network == "x":
        replied = [
            ref["id"] for ref in post.get("referenced_tweets", []) if ref["type"] == "replied_to"
        ]
        return replied[0] if replied else None
    if network == "mastodon":
        return post.get("in_reply_to_id")
    if network == "facebook":
        return None  # a Page post answers nothing: Facebook has no threads
    if network == "youtube":
        return post["snippet"].get("parentId")  # a reply names its top-level comment
    if network == "linkedin":
        return post.get("parentComment")  # a post answers nothing: LinkedIn has no threads
    reply = post["record"].get("reply")
    return reply["parent"]["uri"] if reply else None

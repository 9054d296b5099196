"""The record: respondents, responses, answers, and the one service that writes them."""

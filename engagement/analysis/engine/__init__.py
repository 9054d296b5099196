"""The analysis engine: pure functions over lists of texts (no models, no database).

Services and tasks fetch responses, call these, and store the frozen results.
"""

from .campaigns import campaigns_find
from .embeddings import Embedder, EmbeddingModelUnavailable, get_embedder
from .sentiment import SentimentModel, get_sentiment_model
from .terms import language_mix, top_terms
from .themes import theme_signature, theme_signatures_merge, themes_find, themes_match
from .types import (
    CampaignGroup,
    CandidateTheme,
    LanguageCount,
    Quote,
    SentimentScore,
    TermCount,
    ThemeMatch,
    ThemeSignature,
)

__all__ = [
    "CampaignGroup",
    "CandidateTheme",
    "Embedder",
    "EmbeddingModelUnavailable",
    "LanguageCount",
    "Quote",
    "SentimentModel",
    "SentimentScore",
    "TermCount",
    "ThemeMatch",
    "ThemeSignature",
    "campaigns_find",
    "get_embedder",
    "get_sentiment_model",
    "language_mix",
    "theme_signature",
    "theme_signatures_merge",
    "themes_find",
    "themes_match",
    "top_terms",
]

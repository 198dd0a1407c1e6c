"""Text analytics for customer comments: language, sentiment and aspect sentiment in English, Indonesian, Malay
and Russian. `analyze(texts)` is the entry point; `suara text ...` is the command line."""

from suara.text.analysis import SENTIMENTS, TextAnalysis, analyze
from suara.text.aspects import ASPECTS, AspectSentiment, format_aspects

__all__ = ["ASPECTS", "SENTIMENTS", "AspectSentiment", "TextAnalysis", "analyze", "format_aspects"]

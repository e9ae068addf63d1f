"""Stories: exact duplicates, updates and cross-outlet clustering. Pure core (docs/stories.md)."""

from streams.stories.cluster import cluster_records
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import StoryDoc, band_keys, features_for, fingerprint
from streams.stories.index import StoryDecision, StoryIndex

__all__ = [
    "IndexEntry",
    "StoryDecision",
    "StoryDoc",
    "StoryIndex",
    "band_keys",
    "cluster_records",
    "features_for",
    "fingerprint",
]

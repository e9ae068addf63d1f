"""The understanding stage: classify articles (strike, diplomacy, production_policy, or
other), extract figures, places and who said it, and rate severity. Pure package.

    analyzer = Analyzer.default()            # or Analyzer.from_file("config/taxonomy.yaml")
    u = analyzer.analyze(title, summary, content)
"""

from streams.understand.analyzer import Analyzer, Understanding, classify_record
from streams.understand.evaluation import EvalReport, evaluate, format_report
from streams.understand.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "Analyzer",
    "EvalReport",
    "Taxonomy",
    "Understanding",
    "classify_record",
    "evaluate",
    "format_report",
    "load_taxonomy",
]

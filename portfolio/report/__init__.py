"""Stage 4, the answer: the report's contents, the results sheets, the panel and the charts."""

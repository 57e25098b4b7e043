"""Reports: the article's figures, report charts, markdown, and run comparison (pure: data in, text/figures out)."""

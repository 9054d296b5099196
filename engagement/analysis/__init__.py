"""Analysis: the engine (pure), its runs and results, the dashboard and public summary."""

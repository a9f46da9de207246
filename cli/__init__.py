"""syncdoctor's command line: a tree of small typer apps."""

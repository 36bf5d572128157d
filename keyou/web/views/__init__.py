"""Web views: thin functions that parse input, call a selector or service, render."""

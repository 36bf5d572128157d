"""One router per resource; each only parses input, calls a selector or service, renders."""

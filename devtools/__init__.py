"""Developer tools: Block Kit validation, a fake Slack Web API server, signed request helpers."""

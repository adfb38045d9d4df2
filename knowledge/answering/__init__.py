"""The answer engine: retrieve, prompt, generate, check grounding, cite."""

python examples/config_from_file.py docs/snippets/config/recognizer.yaml

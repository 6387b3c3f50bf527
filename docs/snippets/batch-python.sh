python examples/batch_folder.py examples/images results-py

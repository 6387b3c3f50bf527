python examples/batch_folder.py examples/images results.csv
python examples/batch_folder.py examples/images results.jsonl

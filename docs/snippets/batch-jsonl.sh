fer-sdk batch examples/images --out results-jsonl --format jsonl

python examples/classify_crops.py

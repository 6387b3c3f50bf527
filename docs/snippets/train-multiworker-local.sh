python examples/train_multiworker.py --epochs 2

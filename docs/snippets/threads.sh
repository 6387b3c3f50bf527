python examples/threads.py --workers 8 --frames 64

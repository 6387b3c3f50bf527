python examples/ship_weights.py runs/fernet_fer7 assets/model

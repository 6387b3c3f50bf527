python examples/first_prediction.py astronaut-annotated.png

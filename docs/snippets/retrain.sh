python examples/retrain.py --data ../shared/datasets/fer2013 --out runs/tutorial
fer-sdk predict --classifier runs/tutorial examples/images/astronaut.png

fer-sdk train --config fer_sdk/train/recipes/fernet_fer7.yaml \
    --data ../shared/datasets/fer2013 --out runs/fernet_fer7 --resume

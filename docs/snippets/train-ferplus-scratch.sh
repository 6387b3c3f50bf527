fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_ferplus_scratch.yaml \
    --data ../shared/datasets/ferplus --out runs/fernet_fer7_ferplus_scratch

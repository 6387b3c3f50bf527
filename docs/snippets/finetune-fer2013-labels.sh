fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_ferplus.yaml \
    --init-from fernet_fer7 --fer2013-weight 0.3 \
    --data ../shared/datasets/ferplus --out runs/ft_w03
fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_ferplus.yaml \
    --init-from fernet_fer7 --fer2013-weight-split 0.75 \
    --data ../shared/datasets/ferplus --out runs/ft_split075

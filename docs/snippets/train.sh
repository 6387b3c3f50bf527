fer-sdk train --config fer_sdk/train/recipes/fernet_fer7.yaml \
    --data ../shared/datasets/fer2013 --out runs/fernet_fer7
fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_cycle2.yaml \
    --init-from runs/fernet_fer7 \
    --data ../shared/datasets/fer2013 --out runs/fernet_fer7_c2
fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_cycle3.yaml \
    --init-from runs/fernet_fer7_c2 \
    --data ../shared/datasets/fer2013 --out runs/fernet_fer7_c3
fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_cycle4.yaml \
    --init-from runs/fernet_fer7_c3 \
    --data ../shared/datasets/fer2013 --out runs/fernet_fer7_c4
fer-sdk train --config fer_sdk/train/recipes/fernet_fer7_ferplus.yaml \
    --init-from runs/fernet_fer7_c4 \
    --data ../shared/datasets/ferplus --out runs/fernet_fer7_ferplus

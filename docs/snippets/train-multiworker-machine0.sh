TF_CONFIG="$(cat docs/snippets/tf_config_machine0.json)" fer-sdk train \
    --config fer_sdk/train/recipes/fernet_fer7.yaml --data /mnt/shared/fer2013 \
    --out /mnt/shared/runs/fernet_fer7_2machines --distribute multi_worker

fer-sdk batch photos/ --out results --engine ray --workers 2

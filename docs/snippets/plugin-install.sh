pip install ./my-fer-plugin

fer-sdk featuremaps examples/images/astronaut.png --out maps.png

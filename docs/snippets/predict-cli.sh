fer-sdk predict examples/images/astronaut.png
fer-sdk predict examples/images/astronaut.png --json --annotate out.png

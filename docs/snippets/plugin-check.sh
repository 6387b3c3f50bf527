fer-sdk plugins
fer-sdk predict --detector frontal-and-profile examples/images/grace_hopper.jpg

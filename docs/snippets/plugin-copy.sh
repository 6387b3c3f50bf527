cp -r plugins/fer-sdk-example my-fer-plugin
mv my-fer-plugin/src/fer_sdk_example my-fer-plugin/src/my_fer_plugin
rm -r my-fer-plugin/tests

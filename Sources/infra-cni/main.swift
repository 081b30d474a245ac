import CNIPlugin
import Foundation

// The CNI plugin binary a container runtime executes: CNI_* in the environment, the network
// config on stdin, the result or error object on stdout. All logic is in CNIPlugin.
let stdin = FileHandle.standardInput.readDataToEndOfFile()
let output = await CNIPlugin().run(environment: ProcessInfo.processInfo.environment, stdin: stdin)
FileHandle.standardOutput.write(output.stdout)
exit(output.exitStatus)

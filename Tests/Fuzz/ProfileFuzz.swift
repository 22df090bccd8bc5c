// libFuzzer target: the policy-profile loader (a city's IT department edits these files by hand).
// Built by deploy/fuzz/run.sh together with Sources/HotlineCore (one module), never by SwiftPM.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? PolicyProfile.decode(Data(bytes: data, count: size))
    return 0
}

import Foundation
@testable import FlowEngine

import HotlineNode

HotlineTool.main(role: .unit)

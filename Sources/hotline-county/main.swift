import HotlineNode

HotlineTool.main(role: .county)

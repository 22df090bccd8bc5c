import HotlineNode

HotlineTool.main(role: .city)

/// The Chinese names operators read in reports: channels, supervision forms, escalation levels, statuses.
extension Bulletin {
    public static func channelName(_ code: String) -> String {
        switch code {
        case "phone", "phone-12345": "电话"
        case "sms": "短信"
        case "app": "APP"
        case "wechat": "微信"
        case "weibo": "微博"
        case "mailbox", "mayor-mailbox": "市长信箱"
        case "web": "网站"
        case "transfer": "转办"
        default: code
        }
    }

    /// The escalation levels the profiles name, in Chinese.
    static func levelName(_ level: String?) -> String {
        switch level {
        case "general-office": "政府办公厅（室）"
        case "executive-meeting": "政府常务会议"
        case "superior-department": "上级主管部门"
        case "committee-office": "党委、政府督查部门"
        case "discipline-commission": "纪检监察机关"
        case "county-level": "县级政府"
        case "city-level": "市政府"
        case "government-leader": "政府分管领导"
        case let other?: other
        case nil: ""
        }
    }

    static func formName(_ form: String?) -> String {
        switch form {
        case "phone": "电话督办"
        case "written": "书面督办"
        case "meeting": "会议督办"
        case "on-site": "现场督办"
        case "media": "媒体督办"
        case "inspection": "专项督查"
        case "leader": "领导督办"
        case let other?: other
        case nil: "督办"
        }
    }

    public static func statusName(_ s: TicketStatus) -> String {
        switch s {
        case .received: "已受理"
        case .waitingMaterial: "待补充材料"
        case .answered: "直接答复"
        case .rejected: "不予受理"
        case .referred: "已转其他渠道"
        case .dispatched: "已派单"
        case .signed: "办理中"
        case .suspended: "挂账"
        case .returned: "已退回"
        case .replied: "已反馈"
        case .reviewed: "已审核"
        case .closed: "已办结"
        case .archived: "已归档"
        case .terminated: "已终止"
        }
    }

    static func levelName(_ l: SatisfactionLevel) -> String {
        switch l {
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .unsatisfied: "不满意"
        }
    }
}

"""Word lists and sentence makers for the bench data: English and Simplified Chinese.

The texts are made from templates with many slots, so words occur with very different
frequencies (a rare organisation name, a common word such as "routing"): full-text
search then has real work to do, as on a real registry. Everything draws from the
`random.Random` it is given, so a seed gives the same corpus every time.
"""

REGIONS = [
    ("Europe", "欧洲", 26), ("Asia Pacific", "亚太", 22), ("North America", "北美", 14),
    ("Latin America", "拉丁美洲", 9), ("Africa", "非洲", 9), ("Middle East", "中东", 6),
    ("Central Asia", "中亚", 3), ("Oceania", "大洋洲", 3), ("Global", "全球", 8),
]  # fmt: skip

INSTITUTION_TYPES = [
    # (English type, Chinese type, category, primary domain)
    ("Internet Exchange", "互联网交换中心", "Internet exchange", "Interconnection"),
    ("Numbers Registry", "号码资源注册机构", "Regional internet registry", "Routing"),
    ("Network Information Centre", "网络信息中心", "Internet infrastructure institution", "DNS"),
    ("Office of Digital Networks", "数字网络办公室", "Regulator", "Policy"),
    ("Communications Authority", "通信管理局", "Regulator", "Policy"),
    ("Cable Consortium", "海缆联盟", "Submarine cable consortium", "Subsea"),
    ("Data Centre Group", "数据中心集团", "Data centre operator", "Data centres"),
    ("Transit Networks", "转接网络公司", "Network operator", "Routing"),
    ("Telecom", "电信公司", "Network operator", "Interconnection"),
    ("DNS Registry", "域名注册管理机构", "DNS operator", "DNS"),
    ("Cloud Region", "云区域", "Cloud provider", "Cloud"),
    ("Research and Education Network", "科研教育网", "Internet infrastructure institution", "Interconnection"),
    ("Standards Forum", "标准论坛", "Standards body", "Policy"),
    ("Security Response Team", "安全应急响应组", "Internet infrastructure institution", "Security"),
]  # fmt: skip

TOPIC_SUBJECTS = [
    ("RPKI route origin validation", "RPKI路由起源验证", "Routing"),
    ("submarine cable repair capacity", "海底光缆维修能力", "Subsea"),
    ("IPv6 adoption", "IPv6部署", "Routing"),
    ("DNS resolver centralisation", "DNS解析器集中化", "DNS"),
    ("data centre power demand", "数据中心电力需求", "Data centres"),
    ("AI training data exhaustion", "AI训练数据枯竭", "AI"),
    ("internet shutdowns", "断网事件", "Policy"),
    ("spectrum auctions", "频谱拍卖", "Spectrum"),
    ("BGP route leaks", "BGP路由泄露", "Security"),
    ("cloud sovereignty rules", "云主权规则", "Cloud"),
    ("satellite broadband", "卫星宽带", "Spectrum"),
    ("interconnection pricing", "互联定价", "Interconnection"),
    ("DDoS mitigation capacity", "DDoS缓解能力", "Security"),
    ("domain abuse reporting", "域名滥用举报", "DNS"),
    ("network neutrality", "网络中立", "Policy"),
    ("edge computing", "边缘计算", "Cloud"),
]  # fmt: skip

TOPIC_FRAMES = [
    ("{subject} in {region}", "{region}的{subject}"),
    ("{subject}: {year} outlook", "{subject}：{year}年展望"),
    ("The {subject} debate", "关于{subject}的争论"),
    ("{subject} and market concentration", "{subject}与市场集中"),
    ("{subject} after the {year} incidents", "{year}年事件后的{subject}"),
]  # fmt: skip

SIGNAL_FOCUS = ["Governance", "Operational resilience", "Security", "Market structure", "Capacity",
                "Regulation", "Data supply", "Adoption"]  # fmt: skip

FACET_TOPICS = [
    "internet exchange", "peering", "route servers", "RPKI", "BGP", "IPv6", "IPv4 transfers", "DNS",
    "DNSSEC", "root servers", "ccTLD", "gTLD", "submarine cables", "repair ships", "landing stations",
    "data centres", "power", "cooling", "cloud", "edge", "CDN", "satellite", "spectrum", "5G",
    "fibre", "licensing", "competition", "net neutrality", "shutdowns", "sanctions", "export controls",
    "DDoS", "route leaks", "hijacks", "MANRS", "incident response", "resilience", "capacity",
    "pricing", "transit", "governance", "membership", "elections", "policy development", "audits",
    "number resources", "IP addresses", "AS numbers", "abuse", "training data", "synthetic data",
    "model collapse", "sovereignty", "localisation", "consolidation", "mergers", "investment",
    "outages", "latency", "standards",
]  # fmt: skip

SYLLABLES = [
    "nor", "bri", "del", "ka", "vin", "sol", "tar", "mer", "lis", "ost", "an", "bel", "cor", "dra",
    "el", "fen", "gal", "hal", "ir", "jor", "kel", "lun", "mar", "nev", "or", "pel", "quin", "ros",
    "sen", "tor", "ul", "val", "wes", "xan", "yor", "zel", "ber", "cal", "dun", "fal",
]  # fmt: skip
HAN_SYLLABLES = list("北南东西中海山河湖云星光华新安和平明德信达通远博宏泰盛隆瑞恒嘉祥")

PUBLISHER_KINDS = [
    ("{name} official site", "direct"), ("{name} Gazette", "direct"), ("{name} Network Review", "reporting"),
    ("{name} Telecom Journal", "reporting"), ("{name} Daily", "reporting"), ("{name} Analytics", "secondary"),
    ("{name} Research Group", "secondary"), ("Registry analyst desk", "internal"),
]  # fmt: skip

# English sentence material.
EN_SUBJECTS = [
    "the exchange", "the registry", "the operator", "the regulator", "the consortium", "the association",
    "member networks", "the board", "route servers", "the backbone", "the landing station", "the resolver fleet",
    "the data centre campus", "the national incident team", "transit providers", "content networks",
    "the ministry", "the cable owners", "the standards forum", "hyperscale customers",
]  # fmt: skip
EN_VERBS = [
    "expanded", "reported", "announced", "delayed", "renewed", "suspended", "audited", "filtered",
    "migrated", "consolidated", "published", "disclosed", "restructured", "upgraded", "reviewed",
    "challenged", "approved", "withdrew", "tested", "relocated",
]  # fmt: skip
EN_OBJECTS = [
    "its peering fabric", "the route-server policy", "RPKI filtering", "its operating licence",
    "the IPv6 transition plan", "capacity on the southern route", "the repair-ship contract",
    "the DNSSEC key rollover", "its transparency report", "power contracts", "the abuse desk",
    "its membership fees", "the anycast footprint", "the spectrum licence", "cross-border transit",
    "the resilience programme", "a second landing site", "the outage report", "its governance charter",
    "latency targets", "the data-localisation plan", "the interconnection tariff",
]  # fmt: skip
EN_QUALIFIERS = [
    "after a fabric failure", "under regulatory pressure", "ahead of schedule", "following member votes",
    "despite budget cuts", "with limited disclosure", "after a route leak", "during the annual review",
    "amid market consolidation", "in response to sanctions", "after repeated outages",
    "as traffic grew", "under a new licence", "with independent audits", "after a hijack incident",
]  # fmt: skip
EN_EXTRAS = [
    "Traffic peaked at {n} Gbps.", "About {n} networks are connected.", "The change affects {n} members.",
    "Repairs took {n} days.", "Coverage reached {n} percent.", "The budget rose by {n} percent.",
    "Analysts count {n} dependent operators.", "The filing lists {n} sites.",
]  # fmt: skip

# Chinese sentence material.
ZH_SUBJECTS = [
    "交换中心", "注册机构", "运营商", "监管机构", "联盟", "协会", "成员网络", "理事会", "路由服务器",
    "骨干网", "登陆站", "解析器集群", "数据中心园区", "国家应急小组", "转接服务商", "内容网络",
    "主管部门", "海缆所有者", "标准论坛", "大型云客户",
]  # fmt: skip
ZH_VERBS = [
    "扩建了", "报告了", "宣布了", "推迟了", "续签了", "暂停了", "审计了", "过滤了", "迁移了", "整合了",
    "发布了", "披露了", "重组了", "升级了", "审查了", "质疑了", "批准了", "撤回了", "测试了", "搬迁了",
]  # fmt: skip
ZH_OBJECTS = [
    "其互联平台", "路由服务器政策", "RPKI过滤", "其运营许可证", "IPv6过渡计划", "南线容量", "维修船合同",
    "DNSSEC密钥轮换", "其透明度报告", "电力合同", "滥用处理团队", "其会员费", "任播节点布局", "频谱许可证",
    "跨境转接", "韧性计划", "第二个登陆站", "故障报告", "其治理章程", "时延目标", "数据本地化计划", "互联资费",
]  # fmt: skip
ZH_QUALIFIERS = [
    "在一次平台故障之后", "在监管压力下", "提前", "经成员投票后", "尽管预算削减", "披露有限", "在一次路由泄露后",
    "在年度审查期间", "在市场整合之际", "为应对制裁", "在多次中断之后", "随着流量增长", "根据新的许可证",
    "经独立审计", "在一次劫持事件后",
]  # fmt: skip
ZH_EXTRAS = [
    "流量峰值达到{n} Gbps。", "约有{n}个网络接入。", "此变化影响{n}个成员。", "维修耗时{n}天。",
    "覆盖率达到百分之{n}。", "预算增加了百分之{n}。", "分析人员统计有{n}家依赖运营商。", "文件列出{n}个站点。",
]  # fmt: skip

FAQ_QUESTIONS = [
    ("Who governs {name}?", "谁治理{name}？"), ("What does {name} operate?", "{name}运营什么？"),
    ("How is {name} funded?", "{name}的资金从何而来？"), ("Why does {name} matter?", "{name}为何重要？"),
    ("What changed at {name} recently?", "{name}最近有何变化？"), ("Where does {name} operate?", "{name}在哪里运营？"),
]  # fmt: skip


def coined_name(rng, syllables=2):
    """A made-up proper name such as "Korvelis"."""
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables + rng.randint(0, 1))).capitalize()


def coined_han(rng):
    return "".join(rng.choice(HAN_SYLLABLES) for _ in range(2))


def sentence_en(rng, name=None):
    subject = name if name and rng.random() < 0.3 else rng.choice(EN_SUBJECTS)
    text = f"{subject} {rng.choice(EN_VERBS)} {rng.choice(EN_OBJECTS)} {rng.choice(EN_QUALIFIERS)}."
    text = text[0].upper() + text[1:]
    if rng.random() < 0.4:
        text += " " + rng.choice(EN_EXTRAS).format(n=rng.randint(2, 900))
    return text


def sentence_zh(rng, name=None):
    subject = name if name and rng.random() < 0.3 else rng.choice(ZH_SUBJECTS)
    text = f"{subject}{rng.choice(ZH_QUALIFIERS)}{rng.choice(ZH_VERBS)}{rng.choice(ZH_OBJECTS)}。"
    if rng.random() < 0.4:
        text += rng.choice(ZH_EXTRAS).format(n=rng.randint(2, 900))
    return text


def paragraph_en(rng, sentences, name=None):
    return " ".join(sentence_en(rng, name) for _ in range(sentences))


def paragraph_zh(rng, sentences, name=None):
    return "".join(sentence_zh(rng, name) for _ in range(sentences))

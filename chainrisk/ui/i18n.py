"""Every label of the app in simplified Chinese and English.

``STRINGS`` maps a key to its (Chinese, English) text; ``{name}`` fields are filled by
:class:`Tr`. A test checks that every key the pages use is here with both texts and
the same fields. The words the app shares with the exports and the library (stages,
levels, bands, kinds, severities, load problems, error messages) live in
:mod:`chainrisk.words`; every key there is a key here too, and the labels below that
show a domain word take its Chinese from there.

>>> Tr("en")("overview.title", chain="5G")
'5G — overview'
>>> Tr("zh")("overview.title", chain="5G通信")
'5G通信 — 总览'
>>> default_lang("en_US.UTF-8"), default_lang(None), default_lang("fr")
('en', 'zh', 'zh')
"""

from __future__ import annotations

from typing import Any

from chainrisk import words
from chainrisk.words import WORDS

LANGS = {"zh": "中文", "en": "English"}


def _zh(key: str, english: str) -> tuple[str, str]:
    """Return the catalogue's Chinese for ``key`` with the app's own English label."""
    return WORDS[key][0], english


STRINGS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ shell
    "page.overview": ("总览", "Overview"),
    "page.chain_map": ("产业链图谱", "Chain map"),
    "page.explorer": ("供应关系探查", "Explorer"),
    "page.rankings": ("风险排名", "Rankings"),
    "page.whatif": ("情景推演", "What-if"),
    "page.concentration": ("集中度", "Concentration"),
    "page.data": ("数据管理", "Data"),
    "sidebar.chain": ("产业链", "Chain"),
    "sidebar.chain_help": ("所有页面都分析这条产业链。", "Every page analyses this chain."),
    "sidebar.store": ("数据库：{url} · 数据版本 {version}",
                      "Store: {url} · data version {version}"),
    "sidebar.new_data": (
        "数据库中有新载入的数据（来自命令行或其他会话，数据版本 {old} → {new}），页面已更新。",
        "New data was loaded into the store (from the command line or another session, "
        "data version {old} → {new}); the page now shows it.",
    ),
    "no_data": (
        "数据库中还没有产业链数据。请在左侧打开“数据管理”上传数据包；如没有该页面，请联系管理员载入"
        "数据。",
        "The store holds no chain yet. Open Data in the sidebar to upload a bundle; if it "
        "is not there, ask an administrator to load the data.",
    ),
    "working": ("正在计算……", "Working…"),
    "working_rank": (
        "正在计算风险排名（大型产业链首次计算需要几分钟，之后直接读取缓存）……",
        "Ranking (the first time on a large chain takes minutes; afterwards it is cached)…",
    ),
    "error.input": ("输入有误：{message}", "The input cannot be used: {message}"),
    "error.store": (
        "数据库不可用：{message}。请检查 CHAINRISK_STORE 后重试。",
        "The store failed: {message}. Check CHAINRISK_STORE and try again.",
    ),
    "search": ("搜索{what}（输入名称中的几个字）", "Search {what} (type part of a name)"),
    "pick_placeholder": ("请选择", "Choose"),
    "error.denied": ("无权访问：{message}", "Access denied: {message}"),
    "error.timeout": (
        "分析超时，已停止，未改动任何数据：{message}",
        "The analysis took too long and was stopped; nothing was changed: {message}",
    ),
    "error.limit": ("超出限制：{message}", "Over a limit: {message}"),
    # ------------------------------------------------------------------ access
    "signin.title": ("登录", "Sign in"),
    "signin.lead": (
        "本应用只向获得授权的人员开放，每人只能看到其有权查看的产业链。",
        "This app is open to authorised people only; each sees only the chains they are "
        "allowed to see.",
    ),
    "signin.user": ("用户名", "User name"),
    "signin.password": ("密码", "Password"),
    "signin.submit": ("登录", "Sign in"),
    "signin.checking": ("正在核对……", "Checking…"),
    "signin.empty": ("请输入用户名和密码。", "Enter a user name and a password."),
    "signin.failed": (
        "用户名或密码错误。请检查后重试；同一用户名连续失败多次后，需要等待一段时间才能再试。",
        "Wrong user name or password. Check both and try again; after several failures, "
        "sign-in for that name pauses for a while.",
    ),
    "signin.wait": ("该用户名请在 {seconds} 秒后再试。",
                    "That user name may try again in {seconds} s."),
    "signin.client_wait": ("从你的地址发起的登录尝试过多，请在 {seconds} 秒后再试。",
                           "Too many sign-in attempts from your address: try again in "
                           "{seconds} s."),
    "signin.busy": ("服务器正忙于核对其他登录，请在 {seconds} 秒后再试。",
                    "The server is busy checking other sign-ins: try again in {seconds} s."),
    "signin.oidc": ("使用单位统一身份账号登录", "Sign in with your organisation account"),
    "signin.oidc_missing": (
        "已在 .streamlit/secrets.toml 中配置统一身份登录（[auth]），但未安装 Authlib：请运行 "
        "pip install 'Authlib>=1.3.2' 后重启应用。",
        "Single sign-on is configured ([auth] in .streamlit/secrets.toml) but Authlib is "
        "missing: run pip install 'Authlib>=1.3.2' and restart the app.",
    ),
    "signin.oidc_no_access": (
        "你已以 {name} 登录，但访问策略没有给这个账号任何权限。请联系管理员把它加入策略文件，"
        "或退出后换一个账号。",
        "You are signed in as {name}, but the access policy gives this account no access. "
        "Ask an administrator to add it to the policy file, or sign out and use another "
        "account.",
    ),
    "signin.no_method": (
        "访问策略中没有设置密码的用户，也没有配置统一身份登录，因此无人能够登录。请联系本系统的"
        "管理员：需要在访问策略中加入带密码的用户，或配置统一身份登录"
        "（见安全手册“多人使用本应用”一节）。",
        "Nobody can sign in: the access policy has no user with a password and single "
        "sign-on is not configured. Please ask the administrator of this system to add users "
        "with passwords to the access policy, or to set up single sign-on (security "
        "guide, \"Running the app for more than one person\").",
    ),
    "signin.policy_broken": (
        "访问策略文件无法使用，修正前任何人都无法登录。请联系本系统的管理员（详情已写入服务器日志）。",
        "The access policy file cannot be used, so nobody can sign in until it is fixed. "
        "Please tell the administrator of this system (the details are in the server's log).",
    ),
    "signin.bad_form": (
        "登录表单已过期或不是从本页面提交的。请刷新本页后重新登录。",
        "The sign-in form expired or was not sent from this page. Reload the page and sign "
        "in again.",
    ),
    "signin.ended": (
        "你的登录已结束（已退出、超时或权限已变更）。请重新登录。",
        "Your sign-in has ended (signed out, timed out, or your access changed). Please sign "
        "in again.",
    ),
    "signin.open_form": ("重新登录", "Sign in again"),
    "account.signed_in": ("已登录：{name}（{role}）", "Signed in: {name} ({role})"),
    "account.sign_out": ("退出登录", "Sign out"),
    "access_role.viewer": ("查看者", "viewer"),
    "access_role.admin": ("管理员", "admin"),
    "access.sign_in_first": ("请先登录。", "Sign in first."),
    "access.no_chains": (
        "你的账号目前无权查看任何已载入的产业链。请联系管理员在访问策略中授予权限。",
        "Your account may not see any of the loaded chains yet. Ask an administrator to "
        "grant access in the access policy.",
    ),
    "access.chain_refused": (
        "所请求的产业链不在你的账号权限范围内，已改为显示你有权查看的产业链。",
        "The chain asked for is not open to your account; showing one you may see instead.",
    ),
    "access.out_of_scope": (
        "这部分内容不在你的账号可查看的产业链范围内。请在左侧选择产业链；如需更多权限，请联系管理员。",
        "That is outside the chains your account may see. Pick a chain in the sidebar; ask "
        "an administrator for more access.",
    ),
    "access.admins_only": (
        "上传、载入数据和查看载入记录需要管理员权限。请联系管理员。",
        "Uploading and loading data, and the load history, need the admin role. Ask an "
        "administrator.",
    ),
    "access.unguarded": (
        "本应用配置了访问策略，却没有在登录关口之后运行，因此不显示任何数据。请联系本系统的管理员"
        "用 chainrisk 自带的启动方式重新启动应用。",
        "This app has an access policy but runs without its sign-in gate, so it shows "
        "nothing. Please ask the administrator of this system to restart it the way "
        "chainrisk starts it.",
    ),
    "access.exposed": (
        "本应用正在网络地址 {address} 上提供服务，却没有配置访问策略，因此不显示任何数据。"
        "请联系本系统的管理员：需要为应用配置访问策略后重新启动，或只在本机地址上提供服务"
        "（见安全手册“多人使用本应用”一节）。",
        "This app is served on the network address {address} without an access policy, so "
        "it shows nothing. Please ask the administrator of this system to restart it with "
        "an access policy, or to serve it on this machine's loopback address only "
        "(security guide, \"Running the app for more than one person\").",
    ),
    # ------------------------------------------------------------------ shared vocabulary
    "kinds.firm": ("企业", "Firms"),
    "kinds.component": ("环节（产品/部件）", "Components"),
    "kinds.region": ("地区", "Regions"),
    "stage.upstream": _zh("stage.upstream", "Upstream"),
    "stage.midstream": _zh("stage.midstream", "Midstream"),
    "stage.downstream": _zh("stage.downstream", "Downstream"),
    "band.high": _zh("band.high", "Highly concentrated"),
    "band.moderate": _zh("band.moderate", "Moderately concentrated"),
    "band.unconcentrated": _zh("band.unconcentrated", "Unconcentrated"),
    "band.high_help": ("按国家计算的 HHI 高于 2,500", "HHI by country above 2,500"),
    "band.moderate_help": ("按国家计算的 HHI 在 1,500–2,500 之间",
                           "HHI by country 1,500–2,500"),
    "band.unconcentrated_help": ("按国家计算的 HHI 低于 1,500", "HHI by country below 1,500"),
    "status.spof": ("单点失效：单独失去即可使链上目标停摆",
                    "Single point of failure: its loss alone stops a chain target"),
    "status.high": ("高度集中（HHI > 2,500）", "Highly concentrated (HHI > 2,500)"),
    "status.moderate": ("中度集中（1,500–2,500）", "Moderately concentrated (1,500–2,500)"),
    "status.unconcentrated": ("不集中（< 1,500）", "Unconcentrated (< 1,500)"),
    "status.no_data": ("无生产企业数据", "No producer data"),
    "role.root": ("所选节点", "Selected node"),
    "role.spof": ("所选节点的单点失效源", "Its loss alone stops the selected node"),
    "role.stops": ("所选节点失去后会停摆", "Stops if the selected node is lost"),
    "role.other": ("其他", "Other"),
    "role.end_product": ("终端产品", "End product"),
    "role.leader": ("链主企业", "Chain-leader firm"),
    # ------------------------------------------------------------------ columns
    "col.rank": ("排名", "Rank"),
    "col.name": ("名称", "Name"),
    "col.kind": ("类型", "Kind"),
    "col.firm": ("企业", "Firm"),
    "col.component": ("环节", "Component"),
    "col.country": ("国家/地区", "Country"),
    "col.province": ("省份", "Province"),
    "col.level": ("层级", "Level"),
    "col.stage": ("环节位置", "Stage"),
    "col.role": ("目标类型", "Target"),
    "col.score": ("风险评分", "Risk score"),
    "col.score_help": (
        "各分项加权求和，每个分项在同类节点中缩放到 0–1。",
        "Weighted sum of the parts, each scaled to 0–1 within its kind.",
    ),
    "col.targets_lost": ("可致停摆的目标数", "Targets it alone stops"),
    "col.targets_lost_help": (
        "单独失去该节点时，会完全停摆的终端产品和链主企业数量（共 {n} 个目标）。",
        "End products and chain-leader firms that stop outright if this node alone is lost "
        "(of {n} targets).",
    ),
    "col.targets_lost_share": ("停摆目标占比", "Share of targets stopped"),
    "col.output_lost": ("目标产出损失", "Target output lost"),
    "col.output_lost_help": (
        "单独失去该节点时，各目标平均损失的产出（按供应份额的产能级联）。",
        "Mean output the targets lose if this node alone is lost (capacity cascade).",
    ),
    "col.nodes_lost": ("连带停摆节点数", "Nodes stopped with it"),
    "col.nodes_lost_help": ("单独失去该节点时随之停摆的企业和环节数（含自身）。",
                            "Firms and components that stop if it alone is lost (itself "
                            "included)."),
    "col.sole_source_links": ("独家供应关系数", "Sole-source links"),
    "col.sole_source_links_help": (
        "它是唯一供应方的供应组数：某企业某项采购、某环节的生产、某产品的一组投入。",
        "Supply groups where it is the only member: a buyer's purchases of one component, "
        "a component's producers, a product's input group.",
    ),
    "col.concentration": ("最高国别集中度（HHI）", "Worst HHI by country"),
    "col.concentration_help": (
        "其生产的环节中按国家计算的最高 HHI（0–10,000）。",
        "The highest HHI by country among the components it makes (0–10,000).",
    ),
    "col.band": ("集中度等级", "Concentration band"),
    "col.betweenness": ("中介中心性（结构）", "Betweenness (structural)"),
    "col.articulation_point": ("割点（结构）", "Articulation point (structural)"),
    "col.structural_help": (
        "结构性指标，不区分必需投入和可替代投入；确切答案见“可致停摆的目标数”。",
        "A structural view that ignores which inputs are alternatives; the exact answer is "
        "in “targets it alone stops”.",
    ),
    "short.targets_lost": ("可致停摆目标", "Targets stopped"),
    "short.targets_lost_share": ("目标占比", "% of targets"),
    "short.output_lost": ("产出损失", "Output lost"),
    "short.nodes_lost": ("连带停摆", "Nodes stopped"),
    "short.sole_source_links": ("独家供应", "Sole-source"),
    "short.concentration": ("最高HHI", "Worst HHI"),
    "short.band": ("集中度", "Band"),
    "short.betweenness": ("中介中心性*", "Betweenness*"),
    "short.articulation_point": ("割点*", "Cut point*"),
    "col.hhi_country": ("国别集中度（HHI）", "HHI by country"),
    "col.hhi_firm": ("企业集中度（HHI）", "HHI by firm"),
    "col.hhi_province": ("国内省份集中度（HHI）", "HHI by home province"),
    "col.top_country": ("最大生产国", "Top country"),
    "col.top_country_share": ("最大国份额", "Top country share"),
    "col.top_producer": ("最大生产企业", "Top producer"),
    "col.top_share": ("最大企业份额", "Top producer share"),
    "col.cr3": ("前三企业份额", "Top 3 share (CR3)"),
    "col.countries_to_75": ("达 75% 所需国家数", "Countries to reach 75 %"),
    "col.region_over_65": ("单一国家超 65%", "One country over 65 %"),
    "col.foreign_share": ("境外生产份额", "Made abroad"),
    "col.share_confidence": ("份额数据完整度", "Share confidence"),
    "col.share_confidence_help": (
        "数据中给出的份额之和（上限 100%），其余按份额规则推定。",
        "Sum of the shares given in the data (at most 100 %); the rest is assumed.",
    ),
    "col.n_producers": ("生产企业数", "Producers"),
    "col.n_countries": ("生产国家数", "Countries"),
    "col.targets_stopped": ("可致停摆的目标数", "Targets it alone stops"),
    "col.share": ("份额", "Share"),
    "col.share_help": ("按份额规则计算后的全球供应份额。",
                       "Share of world supply after the share rule."),
    "col.given": ("数据给出", "Given"),
    "col.given_help": ("份额来自数据（否则为推定）。",
                       "The share is from the data (otherwise assumed)."),
    "col.buyer": ("采购方", "Buyer"),
    "col.supplier": ("供应方", "Supplier"),
    "col.before": ("扰动前", "Before"),
    "col.after": ("扰动后", "After"),
    "col.loss": ("损失", "Loss"),
    "col.stops": ("完全停摆", "Stops"),
    "col.stops_help": ("按“缺一不可、任一可替”的规则完全停摆。",
                       "Stops outright under the all-inputs / any-supplier rule."),
    # ------------------------------------------------------------------ overview
    "overview.title": ("{chain} — 总览", "{chain} — overview"),
    "overview.lead": (
        "这条产业链薄弱在哪里：哪些投入依赖单一企业或单一国家，哪些本地企业是必经之处。"
        "“单点失效”按物料清单规则精确计算：产品需要全部投入，每项投入任一供应商即可。",
        "Where this chain is weak: which inputs depend on one firm or one country, which "
        "firms everything runs through. Single points of failure are exact under bill-of-"
        "materials rules: a product needs all its inputs, each input any one supplier.",
    ),
    "overview.firms": ("企业", "Firms"),
    "overview.firms_help": (
        "本链企业：生产本链环节的企业（{producers}）、链主企业（{leaders}）和销售本链环节的"
        "贸易商（{distributors}）。只采购本链环节的 {customers} 家下游客户不计在内。",
        "The chain's firms: makers of its components ({producers}), its leader firms "
        "({leaders}) and traders selling its components ({distributors}). The {customers} "
        "outside customers that only buy its components are not counted.",
    ),
    "overview.components": ("环节", "Components"),
    "overview.components_help": ("本链的产品、部件、材料、设备和软件。",
                                 "Products, parts, materials, tools and software of the chain."),
    "overview.countries": ("生产国家/地区", "Countries"),
    "overview.countries_help": ("本链各环节的生产所在国家/地区数。",
                                "Countries where the chain's components are made."),
    "overview.spofs": ("单点失效", "Single points of failure"),
    "overview.spofs_help": (
        "单独失去即可使 {targets} 个目标（终端产品、链主企业）中至少一个（自身以外）完全停摆的"
        "节点：企业 {firms}、环节 {components}、国家/地区 {regions}；其中 {outside} 个来自本链"
        "以外（其他产业链的环节和企业）。",
        "Nodes whose loss alone stops at least one of the {targets} targets (end products, "
        "chain-leader firms) other than themselves: {firms} firms, {components} components, "
        "{regions} regions; {outside} of them lie outside the chain (other chains' "
        "components and firms).",
    ),
    "overview.over65": ("单一国家超 65% 的投入", "Inputs > 65 % in one country"),
    "overview.over65_help": ("有生产数据的 {of} 个环节中，有 {n} 个环节超过 65% 产自同一国家。",
                             "{n} of the {of} components with producer data have more than "
                             "65 % made in one country."),
    "overview.foreign": ("境外供应占比", "Foreign share of supply"),
    "overview.foreign_help": ("各环节境外生产份额的平均值。",
                              "Average share made abroad, over the chain's components."),
    "overview.spof_line": (
        "{spofs} 个单点失效（企业 {firms}、环节 {components}、国家/地区 {regions}；本链内 "
        "{inside} 个，本链外 {outside} 个），各自可使 {targets} 个目标中至少一个停摆。",
        "{spofs} single points of failure ({firms} firms, {components} components, {regions} "
        "regions; {inside} in the chain, {outside} outside it) can each stop at least one of "
        "the {targets} targets.",
    ),
    "overview.all_spofs": ("全部单点失效（{n}）", "Every single point of failure ({n})"),
    "overview.all_spofs_help": (
        "按可致停摆的目标数排序；“本链外”表示该节点不属于本链，但本链依赖它。",
        "Most targets stopped first; \"outside\" marks a node that is not one of the chain's "
        "members but that the chain depends on.",
    ),
    "overview.download_spofs": ("下载单点失效清单（CSV）", "Download the list (CSV)"),
    "col.member_role": ("与本链关系", "Place in the chain"),
    "col.in_chain": ("属于本链", "In the chain"),
    "col.targets": ("可致停摆的目标", "Targets it alone stops"),
    "member_role.component": ("本链环节", "chain component"),
    "member_role.leader": ("链主企业", "chain leader"),
    "member_role.producer": ("生产企业", "producer"),
    "member_role.distributor": ("贸易商", "trader"),
    "member_role.region": ("所在地区", "region of the chain"),
    "member_role.customer": ("下游客户（本链外）", "outside customer"),
    "member_role.outside": ("本链外", "outside the chain"),
    "overview.top_risks": ("首要风险", "Top risks"),
    "overview.top_risks_help": (
        "风险评分最高的企业、环节和地区；完整列表见“风险排名”。",
        "The firms, components and regions with the highest risk score; the full list is "
        "under Rankings.",
    ),
    "overview.rank_in_kind": ("同类排名", "Rank in kind"),
    "overview.rank_in_kind_help": ("在同类（企业、环节或地区）中的名次。",
                                   "Position among firms, components or regions."),
    "overview.where": ("国家/层级", "Country / level"),
    "overview.concentrated": ("最集中的环节", "Most concentrated inputs"),
    "overview.concentrated_help": ("按国家计算的 HHI 最高的环节；详见“集中度”。",
                                   "Highest HHI by country; more under Concentration."),
    "overview.data_line": ("数据版本 {version} · 最近载入 {last} · 数据包：{bundles}",
                           "Data version {version} · last load {last} · bundles: {bundles}"),
    # ------------------------------------------------------------------ chain map
    "map.title": ("{chain} — 产业链图谱", "{chain} — chain map"),
    "map.lead": (
        "从上游到下游的各个环节，连线表示物料清单（投入 → 产品）。颜色表示按国家计算的供应集中度，"
        "黑圈表示单点失效（单独失去即可使链上目标停摆）。点击图中环节或在上方选择，查看生产企业、"
        "国家、份额和依赖它的对象。",
        "The chain's components from upstream to downstream; links follow the bill of "
        "materials (input → product). Colour shows how concentrated supply is by country; a "
        "black ring marks a single point of failure (its loss alone stops a chain target). "
        "Click a component, or pick it above, to see its producers, countries, shares and "
        "who depends on it.",
    ),
    "map.legend": ("风险状态", "Risk status"),
    "map.shape": ("类型", "Kind"),
    "map.end_product": ("终端产品", "End product"),
    "map.input": ("投入环节", "Input"),
    "map.pick": ("环节", "Component"),
    "map.pick_help": ("也可以直接点击图中的点。", "Or click a point in the map."),
    "map.empty": ("这条产业链没有环节数据。", "This chain has no components."),
    "map.summary": (
        "{n} 个环节，其中 {spof} 个为单点失效；另有 {outside} 个单点失效环节来自本链以外"
        "（见“总览”的全部单点失效清单）；{links} 条物料清单连线。",
        "{n} components, {spof} of them single points of failure; {outside} more single-point "
        "components come from outside the chain (see the full list on the Overview); {links} "
        "BOM links.",
    ),
    "map.stops": ("单独失去它会使 {n} 个目标停摆：{names}",
                  "Losing it alone stops {n} target(s): {names}"),
    "map.yes": ("是，可使 {n} 个目标停摆", "yes, stops {n} target(s)"),
    "map.no": ("否", "no"),
    "map.ring": ("单点失效", "Single point of failure"),
    "map.stops_none": ("单独失去它不会使任何链上目标停摆。",
                       "Losing it alone stops no chain target."),
    "map.no_labels": ("环节超过 {n} 个时不显示名称，鼠标悬停可查看。",
                      "With more than {n} components names show on hover only."),
    "map.producers": ("生产企业", "Producers"),
    "map.no_producers": ("数据中没有生产企业。", "No producers in the data."),
    "map.countries": ("生产国家/地区", "Producing countries"),
    "map.dependants": ("谁依赖它", "Who depends on it"),
    "map.products": ("需要它的产品：{names}", "Products that need it: {names}"),
    "map.no_dependants": ("数据中没有依赖它的产品或企业。",
                          "No product or firm depends on it in the data."),
    # ------------------------------------------------------------------ explorer
    "explorer.title": ("供应关系探查", "Explorer"),
    "explorer.lead": (
        "选择一家企业或一个环节，查看向上若干级的供应商、生产企业和投入，以及向下若干级的客户"
        "和产品。层级从所选节点起算。地区不作为节点显示，可用于筛选。",
        "Pick a firm or a component to see its suppliers, producers and inputs some tiers "
        "up, and its customers and products some tiers down. Tiers count from the picked "
        "node. Regions are not drawn as nodes; use them to filter.",
    ),
    "explorer.node": ("企业或环节", "Firm or component"),
    "explorer.node_help": ("输入名称可快速查找。", "Type to search by name."),
    "explorer.up": ("向上级数", "Tiers up"),
    "explorer.up_help": ("供应方向：供应商、生产企业、投入。",
                         "Towards supply: suppliers, producers, inputs."),
    "explorer.down": ("向下级数", "Tiers down"),
    "explorer.down_help": ("需求方向：客户、产品。", "Towards demand: customers, products."),
    "explorer.regions": ("地区筛选（企业所在国家/省份）",
                         "Region filter (firm's country/province)"),
    "explorer.regions_help": ("只显示并只经过位于这些国家或省份的企业。",
                              "Show, and walk through, only firms located there."),
    "explorer.stages": ("环节位置筛选", "Stage filter"),
    "explorer.stages_help": ("只显示并只经过这些位置的环节。",
                             "Show, and walk through, only components of these stages."),
    "explorer.none": ("请先选择一家企业或一个环节。", "Pick a firm or a component first."),
    "explorer.capped": (
        "关联节点过多：只显示最近的 {cap:,} 个节点，{side}第 {tier} 级还有至少 {hidden:,} "
        "个节点未显示。请减少级数，或按地区、环节位置筛选。",
        "Too many nodes: showing the nearest {cap:,}; at least {hidden:,} more in tier "
        "{tier} {side} are not shown. Use fewer tiers or filter by region or stage.",
    ),
    "explorer.side_up": ("向上", "up"),
    "explorer.side_down": ("向下", "down"),
    "explorer.legend": ("与所选节点的关系", "Relation to the selected node"),
    "explorer.colour_by": ("颜色表示", "Colour shows"),
    "explorer.colour_role": ("与所选节点的关系", "Relation to the selected node"),
    "explorer.colour_country": ("企业所在国家/地区", "Firm's country"),
    "explorer.no_country": ("环节（无国家）", "Component (no country)"),
    "explorer.tier": ("层级", "Tier"),
    "explorer.tier_up": ("向上第 {n} 级", "{n} up"),
    "explorer.tier_down": ("向下第 {n} 级", "{n} down"),
    "explorer.tier_root": ("所选节点", "selected"),
    "explorer.col_up": ("↑ 上游第 {n} 级", "↑ {n} up"),
    "explorer.col_down": ("↓ 下游第 {n} 级", "↓ {n} down"),
    "explorer.col_root": ("所选节点", "Selected"),
    "explorer.summary": (
        "显示 {n} 个节点、{links} 条关系；{spof} 个是所选节点的单点失效源（红色），"
        "{stops} 个会因所选节点失去而停摆（紫色）。点击节点查看详情。",
        "{n} nodes, {links} links shown; {spof} are single points of failure of the "
        "selected node (red), {stops} stop if it is lost (purple). Click a node for details.",
    ),
    "explorer.its_spofs": ("它的单点失效源（{n}）：", "Its single points of failure ({n}):"),
    "explorer.more": (" 等，另有 {n} 个", " … and {n} more"),
    "explorer.no_spofs": ("没有企业、环节或地区能单独使它停摆。",
                          "No single firm, component or region can stop it alone."),
    "explorer.spof_kinds": ("环节 {components} 个、企业 {firms} 个、国家/地区 {regions} 个",
                            "{components} components, {firms} firms, {regions} regions"),
    "explorer.all_spofs": ("查看全部 {n} 个单点失效源", "See all {n} single points of failure"),
    "explorer.download_spofs": ("下载此清单（CSV）", "Download this list (CSV)"),
    "col.id": ("编号", "Id"),
    "explorer.stops": ("单独失去它会使 {n} 个产业链目标停摆：{names}",
                       "Losing it alone stops {n} chain target(s): {names}"),
    "explorer.from_here": ("以此节点为中心探查", "Explore from here"),
    "fact.hq": ("总部所在地", "HQ"),
    "fact.country": ("国家/地区", "Country"),
    "fact.makes": ("生产", "Makes"),
    "fact.suppliers": ("供应商数", "Suppliers"),
    "fact.customers": ("客户数", "Customers"),
    "fact.stage": ("环节位置", "Stage"),
    "fact.producers": ("生产企业数", "Producers"),
    "fact.inputs": ("投入环节数", "Inputs"),
    "fact.hhi_country": ("国别集中度（HHI）", "HHI by country"),
    "fact.lost_with": ("失去它时连带停摆的节点数", "Nodes that stop if it is lost"),
    # ------------------------------------------------------------------ rankings
    "rank.title": ("{chain} — 风险排名", "{chain} — rankings"),
    "rank.lead": (
        "按关键程度排列的企业、环节和地区，列出评分的每个分项。可筛选、排序，并下载 Excel 或 "
        "CSV 文件（与命令行导出的文件相同）。",
        "Firms, components and regions by criticality, every part of the score shown. "
        "Filter, sort, and download Excel or CSV files (the same files as the command "
        "line's export).",
    ),
    "rank.kind": ("对象", "Rank"),
    "rank.search": ("按名称查找", "Find by name"),
    "rank.search_ph": ("如：ASML、华为", "e.g. ASML, Huawei"),
    "rank.sort": ("排序依据", "Sort by"),
    "rank.ascending": ("升序", "Ascending"),
    "rank.only_critical": ("只看单点失效", "Only single points of failure"),
    "rank.only_critical_help": ("单独失去即可使本链至少一个（自身以外的）目标停摆的节点。",
                                "Nodes whose loss alone stops at least one chain target "
                                "other than themselves."),
    "rank.count": ("显示 {shown:,} / {total:,} 行", "{shown:,} of {total:,} rows shown"),
    "rank.weights": ("权重：{weights}", "Weights: {weights}"),
    "rank.structural_note": (
        "\\* 结构性指标（中介中心性、割点），不区分必需投入和可替代投入，只作参考。",
        "\\* Structural views (betweenness, cut point of the firm network): they ignore which "
        "inputs are alternatives; shown for reference.",
    ),
    "rank.not_computed": (
        "部分节点的“目标产出损失”未计算（超出级联计算上限），按 0 计分，显示为空。",
        "Target output lost was not computed for some nodes (beyond the cascade limit); "
        "they score 0 on it and show empty.",
    ),
    "rank.download": ("下载", "Download"),
    "rank.download_help": ("文件在点击时生成。工作簿包含概要、企业、环节、地区、单点失效和数据质量"
                           "各表。",
                           "Files are built when you click. The workbook holds the Summary, "
                           "Firms, Components, Regions, Single points of failure and Data "
                           "quality sheets."),
    "rank.xlsx": ("Excel 工作簿（全部表）", "Excel workbook (all tables)"),
    "rank.csv_zip": ("CSV 文件（zip，全部表）", "CSV files (zip, all tables)"),
    "rank.csv_view": ("当前表格（CSV）", "This table as shown (CSV)"),
    # ------------------------------------------------------------------ what-if
    "whatif.title": ("{chain} — 情景推演", "{chain} — what-if"),
    "whatif.lead": (
        "选择要中断的企业、地区（国家或省份）和环节，查看哪些节点停摆、每个终端产品和链主企业"
        "损失多少产出。地区中断会带上其下级地区及位于其中的所有企业和生产基地。",
        "Choose firms, regions (countries or provinces) and components to disrupt; see "
        "which nodes stop and how much output each end product and chain-leader firm "
        "loses. A disrupted region takes its sub-regions and every firm and site in it.",
    ),
    "whatif.firms": ("企业", "Firms"),
    "whatif.firms_help": ("如：某企业停产或被制裁。", "E.g. a firm stops or is sanctioned."),
    "whatif.regions": ("地区", "Regions"),
    "whatif.regions_help": ("如：某国出口管制、某省停工。",
                            "E.g. a country's export ban, a province's shutdown."),
    "whatif.components": ("环节", "Components"),
    "whatif.components_help": ("如：某类设备或材料断供。",
                               "E.g. an item that can no longer be bought."),
    "whatif.pick_first": ("请至少选择一个要中断的企业、地区或环节。",
                          "Pick at least one firm, region or component to disrupt."),
    "whatif.failed": ("完全停摆的节点", "Nodes that stop"),
    "whatif.failed_help": ("含被中断的节点本身。", "Disrupted nodes included."),
    "whatif.losing": ("产出下降的节点", "Nodes losing output"),
    "whatif.losing_help": ("产出低于 100% 的地区、企业和环节。",
                           "Regions, firms and components below 100 % output."),
    "whatif.targets_hit": ("受影响的目标", "Targets hit"),
    "whatif.targets_hit_help": ("产出下降的终端产品和链主企业。",
                                "End products and chain-leader firms that lose output."),
    "whatif.mean_loss": ("目标平均产出损失", "Mean target output lost"),
    "whatif.mean_loss_help": ("全部目标产出损失的平均值。", "Mean loss over all targets."),
    "whatif.per_target": ("各终端产品和链主企业", "Per end product and leader firm"),
    "whatif.lost": ("各目标损失的产出", "Output lost per target"),
    "whatif.loss_axis": ("产出损失", "Output lost"),
    "whatif.stops_label": ("完全停摆", "Stops"),
    "whatif.partial_label": ("部分损失", "Loses part"),
    "whatif.no_target_hit": ("没有终端产品或链主企业损失产出。",
                             "No end product or chain-leader firm loses output."),
    "whatif.state": ("状态", "State"),
    "whatif.all_changes": ("全部产出下降的节点（{n}）", "Every node losing output ({n})"),
    "whatif.name": ("情景名称", "Scenario name"),
    "whatif.default_name": ("情景 {n}", "Scenario {n}"),
    "whatif.save": ("保存情景", "Save scenario"),
    "whatif.xlsx": ("下载 Excel", "Download Excel"),
    "whatif.csv": ("下载 CSV", "Download CSV"),
    "whatif.compare": ("已保存情景对比", "Compare saved scenarios"),
    "whatif.none_saved": ("尚未保存情景。设置中断后点击“保存情景”。",
                          "No scenario saved yet. Set a disruption and press Save scenario."),
    "whatif.compare_pick": ("对比的情景", "Scenarios to compare"),
    "whatif.compare_table": ("各情景下各目标的产出损失", "Output each target loses, per scenario"),
    "whatif.compare_nothing": ("所选情景中没有目标损失产出。",
                               "No target loses output in these scenarios."),
    "whatif.scenario": ("情景", "Scenario"),
    # ------------------------------------------------------------------ concentration
    "conc.title": ("{chain} — 集中度", "{chain} — concentration"),
    "conc.lead": (
        "每个环节由谁生产、在哪里生产。HHI（赫芬达尔-赫希曼指数，0–10,000）越高越集中：低于 "
        "1,500 为不集中，1,500–2,500 为中度集中，高于 2,500 为高度集中。",
        "Who makes each input and where. The HHI (Herfindahl–Hirschman index, 0–10,000) "
        "grows with concentration: below 1,500 unconcentrated, 1,500–2,500 moderate, above "
        "2,500 high.",
    ),
    "conc.n": ("有生产数据的环节", "Components with producer data"),
    "conc.top": ("显示最集中的环节数", "Most concentrated components shown"),
    "conc.stack_title": ("各环节的生产国家构成", "Where each component is made"),
    "conc.stack_help": (
        "按国别集中度（HHI）从高到低排列；每行合计 100%，份额较小的国家合并为“其他”，"
        "右侧数字为该环节按国家计算的 HHI。",
        "Most concentrated first. Each row adds up to 100 %; smaller countries are grouped "
        "as other; the figure on the right is the component's HHI by country.",
    ),
    "conc.other": ("其他", "Other"),
    "conc.countries_title": ("各国家/地区在本链中的地位", "Countries in this chain"),
    "conc.countries_help": (
        "平均供应份额：各环节中该国生产份额的平均值；居首：该国为最大生产国的环节数；"
        "超 65%：该国份额超过 65% 的环节数。",
        "Average supply share: its share of each component, averaged; leads: components "
        "where it is the top producer; over 65 %: components where it holds more than 65 %.",
    ),
    "conc.supply_share": ("平均供应份额", "Average supply share"),
    "conc.led": ("居首环节数", "Components led"),
    "conc.over65": ("超 65% 环节数", "Components over 65 %"),
    "conc.present": ("有生产的环节数", "Components made there"),
    "conc.provinces_title": ("国内各省份的生产分布", "Home production by province"),
    "conc.provinces_help": (
        "只计国内生产：各环节国内产量中该省所占份额的平均值。",
        "Home production only: the province's share of each component's domestic output, "
        "averaged.",
    ),
    "conc.domestic_share": ("国内生产份额", "Share of home production"),
    "conc.no_home": ("本链没有环节在国内生产。", "No component of this chain is made at home."),
    "conc.table": ("全部环节", "All components"),
    "conc.csv": ("下载集中度表（CSV）", "Download the concentration table (CSV)"),
    "conc.empty": ("这条产业链没有生产企业数据。", "This chain has no producer data."),
    # ------------------------------------------------------------------ data
    "data.title": ("数据管理", "Data"),
    "data.lead": (
        "上传数据包或企业供应商名单。系统先检查、不写入，您阅读检查报告后确认才载入；"
        "载入在一个事务中完成，失败不留残缺数据。",
        "Upload a bundle or a firm's supplier list. It is checked first and nothing is "
        "written until you read the report and confirm; a load is one transaction, so a "
        "failure leaves the store as it was.",
    ),
    "data.tab_bundle": WORDS["label.bundle_tab"],
    "data.tab_suppliers": WORDS["label.suppliers_tab"],
    "data.tab_history": ("载入记录", "Load history"),
    "data.bundle_help": (
        "把数据包文件夹（含 bundle.toml 和 regions.csv、firms.csv、components.csv 等 CSV 文件）"
        "压缩为 zip 上传。",
        "Zip the bundle folder (bundle.toml and the CSV files: regions.csv, firms.csv, "
        "components.csv and the rest) and upload the zip.",
    ),
    "data.bundle_file_help": (
        "一次上传一个数据包。上传后先检查、不写入；阅读检查报告后再确认载入。",
        "One bundle at a time. It is checked first and nothing is written until you "
        "confirm.",
    ),
    "data.suppliers_file_help": (
        "可同时上传多个名单；每个工作表都会读取。",
        "Several lists may be uploaded at once; every sheet is read.",
    ),
    "data.bundle_file": ("数据包（zip）", "Bundle (zip)"),
    "data.upload_button": ("选择文件上传", "Upload"),
    "data.on_error": WORDS["label.on_error"],
    "data.on_error_raise": WORDS["on_error.raise"],
    "data.on_error_skip": WORDS["on_error.skip"],
    "data.checking": ("正在检查……", "Checking…"),
    "data.loading": ("正在载入……", "Loading…"),
    "data.progress": ("{stage}：已处理 {done:,} 行", "{stage}: {done:,} rows"),
    "data.check_ok": (
        "检查完成：数据包 {bundle}，{errors} 个错误，{warnings} 个警告。尚未写入，请确认载入。",
        "Checked: bundle {bundle}, {errors} error(s), {warnings} warning(s). Nothing is "
        "written yet: confirm to load.",
    ),
    "data.loaded": ("已载入数据包 {bundle}：{changed:,} 行新增或变更（载入编号 {load}）。",
                    "Loaded bundle {bundle}: {changed:,} rows new or changed (load #{load})."),
    "data.confirm": ("确认载入", "Confirm and load"),
    "data.suppliers_help": (
        "企业报送的供应商名单（CSV 或 Excel），标题行、中文表头、GB18030 编码均可识别。"
        "如名单中没有采购方列，请填写采购方企业。",
        "A firm's supplier list as sent (CSV or Excel): title rows, Chinese headers and "
        "GB18030 files are understood. If the list has no buyer column, name the buyer.",
    ),
    "data.suppliers_file": ("供应商名单（CSV / XLSX，可多个）",
                            "Supplier lists (CSV / XLSX, one or more)"),
    "data.unknown_region": ("未知地区", "Unknown region"),
    "data.region_from": ("企业地区不一致时", "When a firm's region differs"),
    "data.region_from.store": ("以数据库为准", "keep the store's"),
    "data.region_from.list": ("以清单为准", "take the list's"),
    "data.region_from_help": (
        "清单中企业的所在地与数据库中不同时，保留哪一个；两种情况都会在报告中列出双方的地区。",
        "Which region to keep when the list places a stored firm elsewhere; the report names "
        "both either way.",
    ),
    "data.buyer": WORDS["label.buyer"],
    "data.buyer_help": ("名单中没有采购方列时必填，如“华为”或 huawei。",
                        "Needed when the list has no buyer column, e.g. 华为 or huawei."),
    "data.import_counts": (
        "读取 {read:,} 行 = 载入 {loaded:,} + 拒绝 {rejected:,} + 合并到前面的行 {merged:,}",
        "rows read {read:,} = loaded {loaded:,} + rejected {rejected:,} + merged into an "
        "earlier row {merged:,}",
    ),
    "data.import_ok": ("检查完成：{counts}。尚未写入，请确认导入。",
                       "Checked: {counts}. Nothing is written yet: confirm to import."),
    "data.imported": ("已导入：{counts}（载入编号 {load}）。",
                      "Imported: {counts} (load #{load})."),
    "data.confirm_suppliers": ("确认导入", "Confirm and import"),
    "data.columns_used": ("{sheet} 使用的列", "{sheet}: columns used"),
    "data.columns_ignored": ("{sheet} 忽略的列", "{sheet}: columns ignored"),
    "data.created": ("新建{kind}（{n}）", "new {kind} ({n})"),
    "data.suggestion": (
        "{kind}“{written}”已作为新名称创建，但与 {candidate} 相似（{score}%）；如为同一对象，"
        "请在名单中改用其规范名称或统一社会信用代码后重新导入。",
        "{kind} '{written}' was created as new but looks like {candidate} ({score}%); if it "
        "is the same, write its usual name or credit code in the list and import again.",
    ),
    "data.problems": ("问题：{errors} 个错误，{warnings} 个警告",
                      "Problems: {errors} error(s), {warnings} warning(s)"),
    "data.more_problems": ("另有 {n} 个问题未列出。", "{n} more problem(s) not listed."),
    "data.col_table": ("表", "Table"),
    "data.col_read": ("读取", "Read"),
    "data.col_rejected": ("拒绝", "Rejected"),
    "data.col_inserted": ("新增", "New"),
    "data.col_updated": ("变更", "Changed"),
    "data.col_unchanged": ("未变", "Same"),
    "data.col_severity": ("级别", "Severity"),
    "data.col_file": ("文件", "File"),
    "data.col_line": ("行", "Line"),
    "data.col_column": ("列", "Column"),
    "data.col_value": ("值", "Value"),
    "data.col_reason": ("原因及修改方法", "Reason and fix"),
    "data.store_line": ("数据库：`{url}` · 数据版本 {version}",
                        "Store: `{url}` · data version {version}"),
    "data.no_loads": ("尚未载入任何数据。", "Nothing loaded yet."),
    "data.col_id": ("编号", "Load"),
    "data.col_time": ("完成时间（UTC）", "Finished (UTC)"),
    "data.col_bundle": ("数据包", "Bundle"),
    "data.col_version": ("版本", "Version"),
    "data.col_changed": ("变更行数", "Rows changed"),
    "data.col_on_error": ("错误处理", "On error"),
    "data.col_source": ("来源", "Source"),
    "data.col_checksum": ("校验和", "Checksum"),
    "data.upload_limit": (
        "每个文件最大 {limit}（环境变量 {env} 可调整）。",
        "Up to {limit} per file (the environment variable {env} changes it).",
    ),
    "data.too_big": (
        "{name} 大小为 {size}，超过上传上限 {limit}，未做任何处理。请拆分后上传，或请管理员"
        "在服务器上载入，或调高环境变量 {env}（0 = 不限）后重启应用。",
        "{name} is {size}, over the upload limit of {limit}; nothing was done with it. Split "
        "it, or ask an administrator to load it on the server or to raise the environment "
        "variable {env} (0 = no limit) and restart the app.",
    ),
    "data.col_kind": ("类型", "Kind"),
}


# Every word of the shared catalogue is a key of the app too (the app's own labels win).
STRINGS.update({key: pair for key, pair in WORDS.items() if key not in STRINGS})


def default_lang(env: str | None) -> str:
    """Return the language from a CHAINRISK_LANG value: en for English, else zh."""
    return "en" if env and env.strip().lower().startswith("en") else "zh"


class Tr:
    """Translate keys into one language: ``Tr("zh")("page.overview") == "总览"``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "zh"
        self._index = 0 if self.lang == "zh" else 1

    def __call__(self, key: str, **fields: Any) -> str:
        """Return the text of ``key``, its ``{fields}`` filled in."""
        text = STRINGS[key][self._index]
        return text.format(**fields) if fields else text

    def maybe(self, key: str, fallback: str) -> str:
        """Return the text of ``key`` when there is one, else ``fallback``."""
        pair = STRINGS.get(key)
        return pair[self._index] if pair else fallback

    def value(self, domain: str, raw: Any) -> str:
        """Return a value of ``domain`` (stage, level, severity, …) as the catalogue words it."""
        return words.value(domain, raw, self.lang)

    def error(self, error: BaseException) -> str:
        """Return a library error in this language, with the app's remedy."""
        return words.error_message(error, self.lang)

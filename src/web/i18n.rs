//! The interface's two languages: zh-CN (default) and English, chosen by the `lang` cookie.
//! Terms follow GLOSSARY.md.

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_headers(h: &axum::http::HeaderMap) -> Lang {
        match crate::auth::session::cookie_value(h, "lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Looks up interface strings.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text for `key`, or the key itself when it has no entry.
    pub fn t(&self, key: &str) -> &'static str {
        let tables = STRINGS
            .iter()
            .chain(crate::tracing::i18n::STRINGS)
            .chain(crate::tracing::i18n_desk::STRINGS)
            .chain(crate::facilities::i18n::STRINGS)
            .chain(crate::quarantine::i18n::STRINGS);
        for (k, zh, en) in tables {
            if *k == key {
                return match self.0 {
                    Lang::Zh => zh,
                    Lang::En => en,
                };
            }
        }
        tracing::warn!(key, "missing interface string");
        "?"
    }
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }
    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }
}

/// (key, zh-CN, en)
const STRINGS: &[(&str, &str, &str)] = &[
    ("app", "衡阳市应急指挥平台", "Emergency Command Platform"),
    ("app_short", "firebreak 应急指挥", "firebreak command"),
    ("home", "指挥首页", "Command home"),
    ("jurisdictions", "辖区", "Jurisdictions"),
    ("people", "人员信息", "People"),
    ("users", "用户管理", "Users"),
    ("audit", "审计日志", "Audit log"),
    ("api_docs", "接口文档", "API docs"),
    ("logout", "退出", "Log out"),
    ("login", "登录", "Log in"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("login_title", "登录指挥平台", "Log in to the command platform"),
    ("login_failed", "用户名或密码错误", "Wrong username or password"),
    ("login_throttled", "失败次数过多，请稍后再试（秒）：", "Too many failures; try again in (seconds):"),
    ("search", "查询", "Search"),
    ("search_jur", "按名称或代码查找辖区", "Find a jurisdiction by name or code"),
    ("code", "代码", "Code"),
    ("stat_code", "统计用区划代码", "Statistical code"),
    ("name", "名称", "Name"),
    ("level", "层级", "Level"),
    ("children", "下级单位", "Subdivisions"),
    ("lvl_province", "省", "Province"),
    ("lvl_city", "市", "City"),
    ("lvl_county", "县（市、区）", "County / district"),
    ("lvl_township", "乡镇（街道）", "Township / street"),
    ("lvl_village", "村（社区）", "Village / community"),
    ("lvl_other", "其他", "Other"),
    ("people_here", "本辖区人员", "People here"),
    ("person_name", "姓名", "Name"),
    ("sex", "性别", "Sex"),
    ("sex_male", "男", "Male"),
    ("sex_female", "女", "Female"),
    ("sex_unknown", "未知", "Unknown"),
    ("birth_date", "出生日期", "Date of birth"),
    ("id_type", "证件类型", "Document type"),
    ("id_number", "证件号码", "Document number"),
    ("idt_resident_id", "居民身份证", "Resident ID card"),
    ("idt_passport", "护照", "Passport"),
    ("idt_hk_macao_permit", "港澳通行证", "HK/Macao permit"),
    ("idt_taiwan_permit", "台胞证", "Taiwan permit"),
    ("idt_foreign_permanent_resident", "外国人永久居留证", "Foreign permanent resident card"),
    ("idt_other", "其他证件", "Other document"),
    ("idt_source_record", "无证件（数据集记录号）", "No document (data-set record)"),
    ("phone", "联系电话", "Phone"),
    ("address", "现住址", "Address"),
    ("home_jurisdiction", "所属辖区", "Home jurisdiction"),
    ("new_person", "登记人员", "Register a person"),
    ("edit", "编辑", "Edit"),
    ("save", "保存", "Save"),
    ("cancel", "取消", "Cancel"),
    ("created_at", "登记时间", "Registered"),
    ("updated_at", "更新时间", "Updated"),
    ("all", "全部", "All"),
    ("keyword", "姓名 / 证件号 / 手机尾号", "Name / ID number / phone ending"),
    ("export_xlsx", "导出 Excel", "Export Excel"),
    ("export_csv", "导出 CSV", "Export CSV"),
    ("total", "共", "Total"),
    ("rows", "条", "rows"),
    ("page", "页", "Page"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("no_rows", "暂无数据", "Nothing to show"),
    ("unmask", "查看完整号码", "Show full numbers"),
    ("unmask_reason", "查看原因（将记入审计日志）", "Reason (recorded in the audit log)"),
    (
        "unmasked_note",
        "完整号码仅本次显示，已记入审计日志",
        "Full numbers shown once; this was recorded in the audit log",
    ),
    ("masked_note", "证件号码和电话已脱敏显示", "Identity and phone numbers are masked"),
    ("detail", "详情", "Details"),
    ("role", "角色", "Role"),
    ("role_admin", "系统管理员", "Administrator"),
    ("role_commander", "指挥长", "Commander"),
    ("role_investigator", "流调员", "Investigator"),
    ("role_field_worker", "一线工作人员", "Field worker"),
    ("role_duty_officer", "值班员", "Duty officer"),
    ("role_auditor", "审计员", "Auditor"),
    ("display_name", "显示名称", "Display name"),
    ("active", "状态", "Status"),
    ("enabled", "启用", "Active"),
    ("disabled", "停用", "Disabled"),
    ("enable", "启用", "Enable"),
    ("disable", "停用", "Disable"),
    ("new_user", "新建用户", "New user"),
    ("change_password", "修改密码", "Change password"),
    ("old_password", "原密码", "Current password"),
    ("new_password", "新密码（至少10位）", "New password (10+ characters)"),
    ("password_changed", "密码已修改，请重新登录", "Password changed; log in again"),
    ("time", "时间", "Time"),
    ("user", "用户", "User"),
    ("action", "操作", "Action"),
    ("entity", "对象", "Record"),
    ("ip", "来源地址", "From address"),
    ("verify_chain", "校验审计链", "Verify the chain"),
    ("chain_ok", "审计链完整：", "Audit chain intact:"),
    ("chain_bad", "审计链被破坏：", "Audit chain broken:"),
    ("entries", "条记录", "entries"),
    ("from", "起", "From"),
    ("to", "止", "To"),
    ("filter", "筛选", "Filter"),
    ("stat_people", "登记人员", "People registered"),
    ("stat_units", "辖区单位", "Admin units"),
    ("stat_users", "系统用户", "Users"),
    ("stat_audit", "今日审计记录", "Audit entries today"),
    ("my_scope", "我的辖区", "My jurisdiction"),
    ("modules", "业务模块", "Modules"),
    ("mod_tracing", "流调溯源", "Investigation & tracing"),
    ("mod_quarantine", "隔离管控", "Quarantine"),
    ("mod_testing", "核酸检测", "Mass testing"),
    ("mod_fire", "森林防灭火", "Forest fire"),
    ("mod_command", "调度会", "Dispatch meeting"),
    ("coming", "建设中", "In development"),
    ("error", "出错了", "Something went wrong"),
    ("back", "返回", "Back"),
    ("not_allowed", "您的角色无权执行此操作", "Your role may not do this"),
    ("saved", "已保存", "Saved"),
    ("lang_switch", "English", "中文"),
    ("created", "已登记", "Registered"),
    ("scope_note", "仅显示本辖区范围内的数据", "Only data inside your jurisdiction is shown"),
    // Situation analytics (src/analytics)
    ("analytics", "形势研判", "Situation analytics"),
    ("an_module", "流行曲线、R_t、代间距、倍增时间", "Epidemic curve, R_t, serial interval, doubling time"),
    ("an_show", "查看", "Show"),
    ("an_si_mean_in", "代间距均值(天)", "SI mean (d)"),
    ("an_si_sd_in", "代间距标准差(天)", "SI sd (d)"),
    ("an_window_in", "窗口(天)", "Window (d)"),
    ("an_curve", "流行曲线", "Epidemic curve"),
    ("an_rt", "有效再生数 R_t", "Effective reproduction number R_t"),
    (
        "an_rt_note",
        "Cori 等 (2013) 方法，同 EpiEstim：滑动窗口，伽马先验(均值5，标准差5)，输入病例只作传染源。灰色窗口病例过少(后验变异系数 > 0.3)，不宜解读。",
        "Cori et al. (2013) as EpiEstim: sliding windows, Gamma prior (mean 5, sd 5), imported cases infect but are not infectees. Grey windows have too few cases (posterior CV > 0.3) to be read.",
    ),
    ("an_si", "代间距", "Serial interval"),
    ("an_growth", "增长率与倍增时间", "Growth rate and doubling time"),
    (
        "an_growth_note",
        "泊松对数线性回归，取所选时段最后14天，95% Wald 置信区间。",
        "Poisson log-linear fit over the last 14 days of the period, 95 % Wald interval.",
    ),
    ("an_infector_onset", "传染者发病日期", "Infector onset"),
    ("an_source", "数据来源", "Data"),
    ("an_src_line_list", "本平台病例一览表", "Case line list (this platform)"),
    ("an_src_reported", "每日报告数", "Daily reported counts"),
    ("an_basis", "曲线日期", "Curve date"),
    ("an_basis_onset", "发病日期", "Onset date"),
    ("an_basis_sampling", "采样日期", "Sampling date"),
    ("an_basis_report", "报告日期", "Report date"),
    ("an_dataset", "传播对", "Pairs"),
    ("an_ds_investigation", "流调传播链", "Investigation links"),
    ("an_local", "本土", "Local"),
    ("an_imported", "输入", "Imported"),
    ("an_total", "合计", "Total"),
    ("an_rt_mean", "R_t 后验均值", "R_t posterior mean"),
    ("an_rt_band", "95% 可信区间", "95 % credible interval"),
    ("an_insufficient", "病例过少", "Too few cases"),
    ("an_r_one", "R=1", "R=1"),
    ("an_pairs", "传播对数", "Pairs"),
    ("an_days", "天", "days"),
    ("an_doubling", "倍增时间(天)", "Doubling time (days)"),
    ("an_halving", "减半时间(天)", "Halving time (days)"),
    ("an_no_fit", "无法拟合", "No fit"),
    ("an_no_data", "该辖区暂无每日病例数据", "No daily counts stored for this jurisdiction"),
    ("an_daily", "按日", "Daily"),
    ("an_weekly", "按周", "Weekly"),
    ("an_si_mean", "代间距均值(天)", "Mean serial interval (days)"),
    ("an_latest_rt", "最近 R_t", "Latest R_t"),
    ("an_cases", "新增感染者合计", "New infections, total"),
    ("an_growth_rate", "增长率", "Growth rate"),
    ("an_per_day", "/天", "/day"),
    ("an_unbounded", "区间无界", "unbounded"),
    ("an_window_end", "窗口末日", "Window end"),
    ("an_fit_window", "拟合区间", "Fit window"),
    ("an_dispersion", "离散度 (χ²/自由度)", "Dispersion (χ²/df)"),
    // Fire danger (src/fire)
    ("fire_map", "森林火险等级图", "Fire danger map"),
    ("fire_table", "森林火险等级表", "Fire danger table"),
    ("fire_stations", "气象站", "Weather stations"),
    ("fire_station", "气象站", "Station"),
    ("fire_date", "日期", "Date"),
    ("fire_show", "查看", "Show"),
    ("fire_print", "打印", "Print"),
    ("fire_printed", "打印时间", "Printed"),
    ("fire_profile", "等级标准", "Danger profile"),
    ("fire_level", "火险等级", "Danger level"),
    ("fire_colour", "颜色", "Colour"),
    ("fire_action", "防控措施", "Actions"),
    ("fire_basis", "依据", "Basis"),
    ("fire_basis_assigned", "指定站", "Assigned"),
    ("fire_basis_nearest", "最近站", "Nearest station"),
    ("fire_basis_county", "随所属县", "County's station"),
    ("fire_basis_township", "随所属乡镇", "Township's station"),
    ("fire_basis_none", "无气象站", "No station"),
    ("fire_no_data", "无数据", "No data"),
    ("fire_no_days", "尚无气象观测数据", "No weather observations yet"),
    ("fire_series", "火险天气指数序列", "Fire weather indices, day by day"),
    ("fire_latlon", "纬度, 经度", "Lat, lon"),
    ("fire_note", "备注", "Note"),
    ("fire_startup", "起始值", "Start-up codes"),
    ("fire_lat_adjust", "按纬度调整日长", "Day length by latitude"),
    ("fire_temp", "气温 °C", "Temp °C"),
    ("fire_rh", "湿度 %", "RH %"),
    ("fire_wind", "风速 km/h", "Wind km/h"),
    ("fire_rain", "降水 mm", "Rain mm"),
    (
        "fire_map_note",
        "县级边界；各县取最近（或指定）气象站的等级，点击县名查看该站",
        "County boundaries; each county takes the level of its nearest (or assigned) station; click a county for its station",
    ),
    (
        "fire_table_note",
        "乡镇（街道）无坐标，随所属县的气象站，另有指定的除外",
        "Townships have no coordinates: they take their county's station unless one is assigned",
    ),
];

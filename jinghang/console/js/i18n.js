// Chinese and English strings of the console. Chinese is the default; the choice is kept in
// localStorage. t(key, vars) formats "{name}" placeholders; applyI18n() fills every element
// carrying data-i18n (text) or data-i18n-placeholder / data-i18n-title (attributes).

const STRINGS = {
  zh: {
    "app.title": "无人机警务指挥平台",
    "lang.other": "English",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "login.logout": "退出",
    "login.failed": "登录失败：{reason}",
    "nav.command": "指挥",
    "nav.video": "视频墙",
    "nav.plan": "任务规划",
    "nav.audit": "审计",
    "nav.records": "飞行记录",
    "link.online": "实时在线",
    "link.offline": "实时连接中断",
    "role.admin": "管理员",
    "role.commander": "指挥员",
    "role.pilot": "飞手",
    "role.observer": "观察员",
    "common.cancel": "取消",
    "common.confirm": "确认",
    "common.close": "关闭",
    "common.refresh": "刷新",
    "common.none": "无",
    "common.error": "出错：{reason}",
    "common.missing": "服务器尚未提供此功能（{what}）",
    "fleet.title": "机队",
    "fleet.empty": "没有无人机",
    "drone.battery": "电量",
    "drone.mode": "模式",
    "drone.alt": "高度",
    "drone.speed": "速度",
    "drone.link_ok": "链路正常",
    "drone.link_lost": "链路丢失",
    "drone.armed": "已解锁",
    "drone.disarmed": "未解锁",
    "drone.progress": "任务进度",
    "drone.on_incident": "执行警情 #{id}",
    "drone.to_go": "剩余 {distance}，约 {time}",
    "drone.pilot": "飞手操控",
    "pilot.take_over": "接管（悬停）",
    "pilot.goto": "飞往地图点",
    "pilot.rtl": "返航",
    "pilot.land": "降落",
    "pilot.release": "交还任务",
    "pilot.confirm": "确认对 {drone} 执行：{action}？",
    "pilot.pick_point": "在地图上点击 {drone} 要飞往的位置",
    "pilot.sent": "{drone}：{action} 已执行",
    "pilot.only_roles": "仅飞手和指挥员可操控",
    "incidents.title": "警情",
    "incidents.report": "地图上报警情",
    "incidents.empty": "没有未结警情",
    "incidents.pick": "在地图上点击警情位置",
    "incidents.type": "警情类型",
    "incidents.priority": "优先级",
    "incidents.note": "说明",
    "incidents.submit": "上报",
    "incidents.proposal": "建议派遣",
    "incidents.eta": "预计 {eta} 到达",
    "incidents.rejected": "未选原因",
    "incidents.dispatch": "上报并派遣",
    "incidents.confirm_needed": "此预案需飞手确认后起飞",
    "incidents.pilot_confirm": "飞手确认起飞",
    "incidents.no_drone": "暂无可派无人机：{reason}",
    "incidents.recall": "召回",
    "incidents.redirect": "改飞新位置",
    "incidents.redirect_pick": "在地图上点击新的位置",
    "incidents.close": "结案",
    "incidents.cancel": "撤销",
    "incidents.in_no_fly": "位于禁飞区",
    "incidents.reported": "警情已上报",
    "incidents.dispatched": "已派遣 {drone}",
    "status.reported": "已上报",
    "status.queued": "排队中",
    "status.assigned": "已指派",
    "status.launching": "起飞中",
    "status.en_route": "飞往现场",
    "status.on_scene": "到达现场",
    "status.returning": "返航中",
    "status.closed": "已结案",
    "status.cancelled": "已取消",
    "status.failed": "失败",
    "alert.ack": "知道了",
    "alert.link_lost": "{drone} 链路丢失",
    "alert.low_battery": "{drone} 电量低：{pct}%",
    "alert.fence": "{drone} 触发电子围栏",
    "alert.failure": "{drone} 故障：{reason}",
    "alert.generic": "{drone}：{reason}",
    "video.title": "视频墙",
    "video.open": "视频",
    "video.none": "没有正在飞行的无人机",
    "video.connecting": "连接中…",
    "video.failed": "视频不可用：{reason}",
    "video.enlarge": "点击放大 / 还原",
    "plan.title": "按模板规划",
    "plan.template": "模板",
    "plan.draw": "在地图上绘制",
    "plan.draw_hint_polygon": "点击地图添加区域顶点，完成后点「完成绘制」",
    "plan.draw_hint_polyline": "点击地图添加航线点，完成后点「完成绘制」",
    "plan.draw_hint_point": "点击地图选择目标点",
    "plan.finish": "完成绘制",
    "plan.clear": "清除",
    "plan.import": "导入 KML / GeoJSON / .plan",
    "plan.compute": "生成航线",
    "plan.time": "飞行时间",
    "plan.distance": "航程",
    "plan.energy": "耗电",
    "plan.photos": "照片数",
    "plan.refused": "规划被拒绝：{reason}",
    "plan.schedule": "设为定时巡逻",
    "plan.cron": "时间表（cron）",
    "plan.vehicle": "无人机",
    "plan.any_vehicle": "任一合适",
    "plan.scheduled": "已创建巡逻 {id}",
    "plan.input_needed": "请先绘制或导入 {what}",
    "plan.input.polygon": "区域",
    "plan.input.polyline": "航线",
    "plan.input.point": "目标点",
    "plan.import_failed": "无法读取文件：{reason}",
    "plan.patrols": "巡逻计划",
    "plan.enable": "启用",
    "plan.disable": "停用",
    "plan.delete": "删除",
    "audit.title": "审计记录",
    "audit.actor": "操作人",
    "audit.action": "操作",
    "audit.target": "对象",
    "audit.time": "时间",
    "audit.detail": "详情",
    "audit.since": "起",
    "audit.until": "止",
    "audit.filter": "筛选",
    "audit.text": "关键字",
    "audit.empty": "没有记录",
    "audit.verify": "校验哈希链",
    "audit.verified_ok": "审计链完整",
    "audit.verified_bad": "审计链被篡改：{reason}",
    "records.title": "已结警情的飞行记录",
    "records.empty": "没有已结警情",
    "records.track": "航迹",
    "records.planned": "计划航线",
    "records.export": "导出航迹 GeoJSON",
    "records.commands": "指令",
    "records.events": "经过",
  },
  en: {
    "app.title": "Drone police command",
    "lang.other": "中文",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.logout": "Log out",
    "login.failed": "Login failed: {reason}",
    "nav.command": "Command",
    "nav.video": "Video wall",
    "nav.plan": "Plan",
    "nav.audit": "Audit",
    "nav.records": "Flight records",
    "link.online": "Live",
    "link.offline": "Live link down",
    "role.admin": "Admin",
    "role.commander": "Commander",
    "role.pilot": "Pilot",
    "role.observer": "Observer",
    "common.cancel": "Cancel",
    "common.confirm": "Confirm",
    "common.close": "Close",
    "common.refresh": "Refresh",
    "common.none": "none",
    "common.error": "Error: {reason}",
    "common.missing": "The server does not offer this yet ({what})",
    "fleet.title": "Fleet",
    "fleet.empty": "No drones",
    "drone.battery": "Battery",
    "drone.mode": "Mode",
    "drone.alt": "Alt",
    "drone.speed": "Speed",
    "drone.link_ok": "Link OK",
    "drone.link_lost": "LINK LOST",
    "drone.armed": "armed",
    "drone.disarmed": "disarmed",
    "drone.progress": "Mission progress",
    "drone.on_incident": "on incident #{id}",
    "drone.to_go": "{distance} to go, about {time}",
    "drone.pilot": "Pilot controls",
    "pilot.take_over": "Take over (loiter)",
    "pilot.goto": "Go to map point",
    "pilot.rtl": "Return home",
    "pilot.land": "Land",
    "pilot.release": "Release to mission",
    "pilot.confirm": "Send \"{action}\" to {drone}?",
    "pilot.pick_point": "Click the map where {drone} should go",
    "pilot.sent": "{drone}: {action} done",
    "pilot.only_roles": "Only pilots and commanders fly by hand",
    "incidents.title": "Incidents",
    "incidents.report": "Report on map",
    "incidents.empty": "No open incidents",
    "incidents.pick": "Click the incident location on the map",
    "incidents.type": "Incident type",
    "incidents.priority": "Priority",
    "incidents.note": "Note",
    "incidents.submit": "Report",
    "incidents.proposal": "Proposed drone",
    "incidents.eta": "ETA {eta}",
    "incidents.rejected": "Not chosen",
    "incidents.dispatch": "Report and dispatch",
    "incidents.confirm_needed": "This playbook needs a pilot's confirmation before launch",
    "incidents.pilot_confirm": "Pilot: confirm launch",
    "incidents.no_drone": "No drone available: {reason}",
    "incidents.recall": "Recall",
    "incidents.redirect": "Redirect",
    "incidents.redirect_pick": "Click the new location on the map",
    "incidents.close": "Close",
    "incidents.cancel": "Cancel incident",
    "incidents.in_no_fly": "Inside a no-fly zone",
    "incidents.reported": "Incident reported",
    "incidents.dispatched": "{drone} dispatched",
    "status.reported": "reported",
    "status.queued": "queued",
    "status.assigned": "assigned",
    "status.launching": "launching",
    "status.en_route": "en route",
    "status.on_scene": "on scene",
    "status.returning": "returning",
    "status.closed": "closed",
    "status.cancelled": "cancelled",
    "status.failed": "failed",
    "alert.ack": "Acknowledge",
    "alert.link_lost": "{drone}: link lost",
    "alert.low_battery": "{drone}: low battery {pct}%",
    "alert.fence": "{drone}: geofence breached",
    "alert.failure": "{drone} failure: {reason}",
    "alert.generic": "{drone}: {reason}",
    "video.title": "Video wall",
    "video.open": "Video",
    "video.none": "No drone is flying",
    "video.connecting": "connecting…",
    "video.failed": "video unavailable: {reason}",
    "video.enlarge": "Click to enlarge / restore",
    "plan.title": "Plan from a template",
    "plan.template": "Template",
    "plan.draw": "Draw on map",
    "plan.draw_hint_polygon": "Click the map to add the area's corners, then press Finish",
    "plan.draw_hint_polyline": "Click the map to add route points, then press Finish",
    "plan.draw_hint_point": "Click the map to choose the point",
    "plan.finish": "Finish",
    "plan.clear": "Clear",
    "plan.import": "Import KML / GeoJSON / .plan",
    "plan.compute": "Plan it",
    "plan.time": "Flight time",
    "plan.distance": "Distance",
    "plan.energy": "Energy",
    "plan.photos": "Photos",
    "plan.refused": "Plan refused: {reason}",
    "plan.schedule": "Schedule as patrol",
    "plan.cron": "Timetable (cron)",
    "plan.vehicle": "Drone",
    "plan.any_vehicle": "any suitable",
    "plan.scheduled": "Patrol {id} scheduled",
    "plan.input_needed": "Draw or import the {what} first",
    "plan.input.polygon": "area",
    "plan.input.polyline": "route",
    "plan.input.point": "point",
    "plan.import_failed": "Cannot read the file: {reason}",
    "plan.patrols": "Patrols",
    "plan.enable": "Enable",
    "plan.disable": "Disable",
    "plan.delete": "Delete",
    "audit.title": "Audit trail",
    "audit.actor": "User",
    "audit.action": "Action",
    "audit.target": "Target",
    "audit.time": "Time",
    "audit.detail": "Detail",
    "audit.since": "From",
    "audit.until": "To",
    "audit.filter": "Filter",
    "audit.text": "Text",
    "audit.empty": "No entries",
    "audit.verify": "Verify hash chain",
    "audit.verified_ok": "Audit chain intact",
    "audit.verified_bad": "Audit chain tampered: {reason}",
    "records.title": "Flight records of closed incidents",
    "records.empty": "No closed incidents",
    "records.track": "Track",
    "records.planned": "Planned path",
    "records.export": "Track as GeoJSON",
    "records.commands": "Commands",
    "records.events": "What happened",
  },
};

const listeners = new Set();
let current = localStorage.getItem("jinghang.lang") || "zh";
if (!(current in STRINGS)) current = "zh";

export function lang() {
  return current;
}

export function t(key, vars = {}) {
  const table = STRINGS[current];
  let text = table[key] ?? STRINGS.en[key] ?? key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** Pick the name in the current language from an object with name_zh / name_en fields. */
export function localName(obj, fallback = "") {
  if (!obj) return fallback;
  const zh = obj.name_zh ?? obj.incident_type_zh ?? obj.zh ?? obj.type_zh;
  const en = obj.name_en ?? obj.incident_type_en ?? obj.en ?? obj.type_en ?? obj.name;
  return (current === "zh" ? zh || en : en || zh) || fallback;
}

export function applyI18n(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

export function setLang(code) {
  current = code in STRINGS ? code : "zh";
  localStorage.setItem("jinghang.lang", current);
  applyI18n();
  for (const fn of listeners) fn(current);
}

export function toggleLang() {
  setLang(current === "zh" ? "en" : "zh");
}

export function onLangChange(fn) {
  listeners.add(fn);
}

export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (current === "zh") return m ? `${m}分${String(rest).padStart(2, "0")}秒` : `${rest}秒`;
  return m ? `${m} min ${String(rest).padStart(2, "0")} s` : `${rest} s`;
}

export function formatDistance(meters) {
  if (meters == null || !Number.isFinite(meters)) return "–";
  if (meters >= 1000) return `${(meters / 1000).toFixed(1)} km`;
  return `${Math.round(meters)} m`;
}

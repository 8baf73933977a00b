// Chinese and English strings of the console. Chinese is the default; the choice is kept in
// localStorage. t(key, vars) formats "{name}" placeholders; applyI18n() fills every element
// carrying data-i18n (text) or data-i18n-placeholder / data-i18n-title (attributes).

const STRINGS = {
  zh: {
    "app.title": "无人机警务指挥平台",
    "app.start_failed": "控制台未能启动",
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
    "drone.landed_away": "降落在基地以外，暂不派遣",
    "drone.mark_recovered": "标记已回收",
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
    "alert.count": "×{n}",
    "alert.code.vehicle.link_lost": "{drone} 链路丢失（{silent_s} 秒无信号）",
    "alert.code.vehicle.battery_low": "{drone} 电量低：{battery_pct}%",
    "alert.code.vehicle.above_ceiling": "{drone} 高度 {altitude_m} 米，超过 {ceiling_m} 米限高",
    "alert.code.vehicle.outside_fence": "{drone} 飞出电子围栏",
    "alert.code.link.spoofed_sysid": "链路 {link}：另一发送方冒用系统号 {system_id}",
    "alert.code.telemetry.flagged": "{drone} 遥测数据异常（{reason}）",
    "alert.code.case.unassigned": "案件 {case_id}：没有可派的无人机（{reason}）",
    "alert.code.sortie.launch_refused": "{drone} 拒绝起飞：{reason}",
    "alert.code.sortie.failed": "{drone} 出动失败：{reason}",
    "alert.code.drone.landed_away": "{drone} 降落在基地以外",
    "alert.code.patrol.skipped": "巡逻“{patrol}”已跳过：{reason}",
    "alert.code.patrol.launch_refused": "巡逻“{patrol}”：{drone} 拒绝起飞：{reason}",
    "alert.code.component.stopped": "{component} 已停止：{error}",
    "alert.code.recording.failed": "{drone} 录像已停止：{error}",
    "alert.error_in_log": "详情见服务器日志",
    "health.down": "部件故障：{parts}",
    "health.part.recorder": "录像",
    "health.part.link": "链路",
    "health.part.video": "视频",
    "health.part.dispatcher": "调度",
    "health.part.patrols": "巡逻调度",
    "health.part.alerts": "告警服务",
    "health.status.stopped": "已停止",
    "health.status.restarting": "重启中",
    "health.status.starting": "启动中",
    "health.status.running": "运行中",
    "plan.last_run": "上次：{when} {status}",
    "plan.next_run": "下次：{when}",
    "plan.never_run": "尚未执行",
    "plan.run.launched": "已起飞",
    "plan.run.completed": "已完成",
    "plan.run.failed": "失败",
    "plan.run.skipped": "已跳过",
    "plan.skip_reason": "原因：{reason}",
    "plan.check_ok": "可执行：{drones}",
    "plan.check_none": "当前没有无人机能执行：{reason}",
    "video.title": "视频墙",
    "video.open": "视频",
    "video.none": "没有正在飞行的无人机",
    "video.connecting": "连接中…",
    "video.failed": "视频不可用：{reason}",
    "video.enlarge": "点击放大 / 还原",
    "video.live": "● 直播",
    "video.no_signal": "无信号（最后画面 {since}）",
    "video.ice_failed": "网络连接失败",
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
    "plan.choose_file": "选择文件…",
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
    "status.open": "未结",
    "status.planned": "待派遣",
    "status.unassigned": "无机可派",
    "status.waiting_pilot": "待飞手确认",
    "status.landed": "已降落",
    "status.aborted": "已中止",
    "incidents.sorties": "架次",
    "incidents.no_drone_yet": "尚未分配无人机",
    "incidents.unassigned": "暂无无人机可派，警情保持未结，有无人机空闲时自动重试：",
    "incidents.launched_at": "起飞 {time}",
    "incidents.on_scene_at": "到场 {time}",
    "incidents.ended_at": "结束 {time}",
    "incidents.add_sortie": "增派无人机",
    "incidents.any_drone": "任一合适",
    "incidents.playbook_same": "同一预案",
    "incidents.send": "派遣",
    "incidents.close_case": "结案",
    "incidents.outcome": "处置结果",
    "incidents.outcome_note": "结案说明",
    "incidents.closed_as": "已结案：{outcome}",
    "incidents.closed_by": "{who} 结案",
    "incidents.confirm_other_pilot": "需由另一名飞手确认起飞（派遣人：{who}）",
    "incidents.reported_unassigned": "警情已上报，但暂无无人机可派（见原因）",
    "incidents.no_drone_stays_open": "暂无可派无人机；上报后警情保持未结，并在有无人机空闲时自动派遣",
    "outcome.resolved": "已处置",
    "outcome.false_alarm": "误报",
    "outcome.referred": "移交其他单位",
    "outcome.no_action": "无需处置",
    "outcome.flown": "飞行完成",
    "outcome.not_flown": "未能起飞",
    "outcome.other": "其他",
    "code.drone.busy": "正在执行{busy_with}",
    "code.drone.unavailable": "登记为不可用（维护、离线或退役）",
    "code.drone.link_lost": "与无人机的链路中断",
    "code.drone.unhealthy": "状态不宜起飞：{problem}",
    "code.drone.missing_payload": "未搭载 {payloads}",
    "code.drone.battery_short": "电量 {battery_pct}% 不足：往返需 {needed_pct}%，另加 {reserve_pct}% 备用",
    "code.drone.out_of_range": "超出航程：距离 {distance}，满电也需 {needed_pct}% 加 {reserve_pct}% 备用",
    "code.drone.in_no_fly_zone": "警情位置或航线位于禁飞区 {zone}",
    "code.drone.landed_away": "降落在基地以外，需飞回基地或标记为已回收",
    "code.drone.not_landed_away": "该无人机并未降落在基地以外",
    "code.drone.unknown": "不在机队中",
    "code.case.flight_refused": "首次飞行未通过安全检查：{message}",
    "code.case.no_drones": "机队中没有无人机",
    "code.case.not_open": "警情已结案或已撤销",
    "code.case.closed": "随警情结案而中止",
    "code.case.cancelled": "随警情撤销而中止",
    "code.sortie.launch_refused": "无人机拒绝起飞，已改派下一架",
    "code.sortie.link_lost": "飞行中失去联系",
    "code.sortie.lost_in_restart": "服务器重启后未能继续",
    "code.sortie.confirm_needs_pilot": "只有飞手可以确认起飞",
    "code.sortie.confirm_by_dispatcher": "派遣人不能确认自己派遣的起飞，需另一名飞手确认",
    "code.sortie.not_waiting_pilot": "该警情没有等待确认的起飞",
    "map.zoom_in": "放大",
    "map.zoom_out": "缩小",
    "common.yes": "是",
    "common.no": "否",
  },
  en: {
    "app.title": "Drone police command",
    "app.start_failed": "The console failed to start",
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
    "drone.landed_away": "Landed away from its base: not dispatched",
    "drone.mark_recovered": "Mark recovered",
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
    "alert.count": "×{n}",
    "alert.code.vehicle.link_lost": "{drone}: link lost ({silent_s} s silent)",
    "alert.code.vehicle.battery_low": "{drone}: low battery {battery_pct}%",
    "alert.code.vehicle.above_ceiling": "{drone}: {altitude_m} m, above the {ceiling_m} m ceiling",
    "alert.code.vehicle.outside_fence": "{drone}: outside the geofence",
    "alert.code.link.spoofed_sysid": "Link {link}: a second sender claims system id {system_id}",
    "alert.code.telemetry.flagged": "{drone}: implausible telemetry ({reason})",
    "alert.code.case.unassigned": "Case {case_id}: no drone can go ({reason})",
    "alert.code.sortie.launch_refused": "{drone} refused the launch: {reason}",
    "alert.code.sortie.failed": "{drone}: sortie failed: {reason}",
    "alert.code.drone.landed_away": "{drone} landed away from its base",
    "alert.code.patrol.skipped": "Patrol \"{patrol}\" skipped: {reason}",
    "alert.code.patrol.launch_refused": "Patrol \"{patrol}\": {drone} refused the launch: {reason}",
    "alert.code.component.stopped": "{component} stopped: {error}",
    "alert.code.recording.failed": "Recording of {drone} stopped: {error}",
    "health.down": "Down: {parts}",
    "health.part.recorder": "recorder",
    "health.part.link": "link",
    "health.part.video": "video",
    "health.part.dispatcher": "dispatcher",
    "health.part.patrols": "patrol scheduler",
    "health.part.alerts": "alert service",
    "health.status.stopped": "stopped",
    "health.status.restarting": "restarting",
    "health.status.starting": "starting",
    "health.status.running": "running",
    "plan.last_run": "Last: {when} {status}",
    "plan.next_run": "Next: {when}",
    "plan.never_run": "not run yet",
    "plan.run.launched": "launched",
    "plan.run.completed": "completed",
    "plan.run.failed": "failed",
    "plan.run.skipped": "skipped",
    "plan.skip_reason": "Why: {reason}",
    "plan.check_ok": "Can fly it now: {drones}",
    "plan.check_none": "No drone can fly it now: {reason}",
    "video.title": "Video wall",
    "video.open": "Video",
    "video.none": "No drone is flying",
    "video.connecting": "connecting…",
    "video.failed": "video unavailable: {reason}",
    "video.enlarge": "Click to enlarge / restore",
    "video.live": "● LIVE",
    "video.no_signal": "no signal since {since}",
    "video.ice_failed": "network connection failed",
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
    "plan.choose_file": "Choose a file…",
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
    "status.open": "Open",
    "status.planned": "To dispatch",
    "status.unassigned": "No drone",
    "status.waiting_pilot": "Awaiting pilot",
    "status.landed": "Landed",
    "status.aborted": "Aborted",
    "incidents.sorties": "Sorties",
    "incidents.no_drone_yet": "no drone yet",
    "incidents.unassigned": "No drone can go; the case stays open and is retried when a drone frees:",
    "incidents.launched_at": "launched {time}",
    "incidents.on_scene_at": "on scene {time}",
    "incidents.ended_at": "ended {time}",
    "incidents.add_sortie": "Send another drone",
    "incidents.any_drone": "Best suited",
    "incidents.playbook_same": "Same playbook",
    "incidents.send": "Send",
    "incidents.close_case": "Close case",
    "incidents.outcome": "Outcome",
    "incidents.outcome_note": "Closing note",
    "incidents.closed_as": "Closed: {outcome}",
    "incidents.closed_by": "closed by {who}",
    "incidents.confirm_other_pilot": "Another pilot must confirm the launch (dispatched by {who})",
    "incidents.reported_unassigned": "Incident reported, but no drone can go yet (see why)",
    "incidents.no_drone_stays_open": "No drone can go now; the reported case stays open and is dispatched when a drone frees",
    "outcome.resolved": "Resolved",
    "outcome.false_alarm": "False alarm",
    "outcome.referred": "Referred to another unit",
    "outcome.no_action": "No action needed",
    "outcome.flown": "Flown",
    "outcome.not_flown": "Could not be flown",
    "outcome.other": "Other",
    "code.drone.busy": "busy with {busy_with}",
    "code.drone.unavailable": "not available in the fleet register (maintenance, offline, retired)",
    "code.drone.link_lost": "no link to the drone",
    "code.drone.unhealthy": "not fit to launch: {problem}",
    "code.drone.missing_payload": "does not carry {payloads}",
    "code.drone.battery_short": "battery {battery_pct}% is short: needs {needed_pct}% plus the {reserve_pct}% reserve",
    "code.drone.out_of_range": "out of range: {distance} away, needs {needed_pct}% plus the {reserve_pct}% reserve even when full",
    "code.drone.in_no_fly_zone": "the incident or the way there is in the no-fly zone {zone}",
    "code.drone.landed_away": "landed away from its base; fly it home or mark it recovered",
    "code.drone.not_landed_away": "this drone has not landed away from its base",
    "code.drone.unknown": "not in the fleet",
    "code.case.flight_refused": "the first flight fails the safety checks: {message}",
    "code.case.no_drones": "no drones in the fleet",
    "code.case.not_open": "the case is closed or cancelled",
    "code.case.closed": "aborted: the case was closed",
    "code.case.cancelled": "aborted: the case was cancelled",
    "code.sortie.launch_refused": "the drone refused to launch; the next one is tried",
    "code.sortie.link_lost": "contact lost during the flight",
    "code.sortie.lost_in_restart": "not picked up after the server restarted",
    "code.sortie.confirm_needs_pilot": "only a pilot may confirm the launch",
    "code.sortie.confirm_by_dispatcher": "the user who dispatched cannot confirm the launch; another pilot must",
    "code.sortie.not_waiting_pilot": "no launch of this case waits for a confirmation",
    "map.zoom_in": "Zoom in",
    "map.zoom_out": "Zoom out",
    "common.yes": "yes",
    "common.no": "no",
  },
};

// Messages by code: the server's problem bodies, refusals and other coded messages carry a
// stable `code` and its `params`; tCode() renders them from these catalogs (never from the
// English `detail` in zh). A code with no entry falls back to its family ("mission.*") and
// then to a generic message naming the code. Parameters are formatted for the language by
// their name's unit (`_m`, `_s`, `_pct`, `_deg`); `field` is named with the field catalog.
const CODES = {
  zh: {
    "*": "操作未完成（{code}）",
    "error": "操作未完成",
    "network": "无法连接服务器",
    "http.*": "请求未完成（HTTP {status}）",
    "http.400": "请求有误",
    "http.401": "未登录或登录已过期",
    "http.403": "无权执行此操作",
    "http.404": "未找到",
    "http.405": "服务器不支持此操作",
    "http.409": "与当前状态冲突",
    "http.413": "请求内容过大",
    "http.415": "不支持的内容格式",
    "http.422": "输入无效",
    "http.429": "请求过于频繁，请稍后再试",
    "http.500": "服务器内部错误",
    "http.502": "无人机未执行",
    "http.503": "服务器繁忙或部件未运行",
    "http.504": "处理超时",
    "server.internal": "服务器内部错误，详情已记入服务器日志",
    "server.start_failed": "服务器未能启动",
    "config.invalid": "配置无效：{field}",
    "auth.*": "身份验证失败",
    "auth.wrong_credentials": "用户名或密码错误",
    "auth.locked": "登录已锁定（{max_failures} 次失败），请 {retry_after_s} 后再试",
    "auth.not_authenticated": "请先登录",
    "auth.token_revoked": "登录已失效，请重新登录",
    "auth.token_in_url": "令牌不能放在网址中",
    "auth.user_unavailable": "该用户已停用或不存在",
    "auth.forbidden": "你的角色无权执行此操作",
    "user.*": "用户操作被拒绝",
    "user.exists": "用户 {value} 已存在",
    "user.not_found": "没有用户 {value}",
    "user.last_admin": "不能移除最后一位管理员",
    "user.admin_lockout": "此操作会让管理员无法登录，已拒绝",
    "user.cannot_disable_self": "不能停用自己的账号",
    "password.*": "密码太弱，请换一个",
    "password.weak": "密码太容易被猜到，请换一个",
    "password.common": "这是常见密码，请换一个",
    "password.user_derived": "密码由用户名或姓名构成，请换一个",
    "validation.*": "{field} 的值无效",
    "validation.invalid": "输入无效",
    "validation.missing": "缺少 {field}",
    "validation.json_invalid": "请求不是有效的 JSON（第 {position} 个字符）",
    "validation.less_than_equal": "{field} 不能大于 {limit}",
    "validation.less_than": "{field} 必须小于 {limit}",
    "validation.greater_than_equal": "{field} 不能小于 {limit}",
    "validation.greater_than": "{field} 必须大于 {limit}",
    "validation.string_too_long": "{field} 最多 {limit} 个字符",
    "validation.string_too_short": "{field} 至少 {limit} 个字符",
    "validation.too_long": "{field} 最多 {limit} 项",
    "validation.too_short": "{field} 至少 {limit} 项",
    "validation.string_type": "{field} 必须是文字",
    "validation.int_parsing": "{field} 必须是整数",
    "validation.int_type": "{field} 必须是整数",
    "validation.float_parsing": "{field} 必须是数字",
    "validation.float_type": "{field} 必须是数字",
    "validation.finite_number": "{field} 必须是有限的数字",
    "validation.bool_parsing": "{field} 必须是是/否",
    "validation.enum": "{field} 不是可选的值",
    "validation.literal_error": "{field} 不是可选的值",
    "validation.extra_forbidden": "不认识的字段 {field}",
    "validation.string_pattern_mismatch": "{field} 的格式不对",
    "validation.datetime_parsing": "{field} 不是有效的时间",
    "validation.value_error": "{field} 的值无效",
    "body_too_large": "请求内容过大（上限 {limit}）",
    "body_too_deep": "请求内容嵌套过深",
    "body_not_utf8": "请求内容不是 UTF-8 文字",
    "number_not_finite": "{field} 必须是有限的数字",
    "text_not_unicode": "{field} 含有无效字符",
    "cpu_timeout": "计算超时，已停止",
    "workers_busy": "服务器繁忙，请稍后再试",
    "workers_restarted": "计算进程已重启，请重试",
    "work.timeout": "计算超时，已停止",
    "work.busy": "服务器繁忙，请稍后再试",
    "store.*": "数据库出错",
    "store.not_found": "未找到 {value}",
    "store.exists": "{value} 已存在",
    "store.unavailable": "数据库不可用",
    "audit.bad_checkpoint_file": "审计检查点文件无法读取",
    "audit.*": "第 {seq} 条记录未通过校验",
    "audit.chain": "第 {seq} 条记录未通过校验",
    "audit.chain.edited": "第 {seq} 条记录的内容被修改",
    "audit.chain.deleted": "第 {seq} 条记录之前有记录被删除",
    "audit.chain.reordered": "第 {seq} 条记录的顺序被改动",
    "audit.chain.wrong_key": "第 {seq} 条记录不是用本服务器的审计密钥签的",
    "alerts.unavailable": "告警服务未运行",
    "track.too_short": "没有飞行航迹",
    "fleet.vehicle_not_found": "没有这架无人机（{value}）",
    "fleet.vehicle_exists": "这架无人机已登记（{value}）",
    "vehicle.*": "无人机未执行指令",
    "vehicle.error": "无人机出错",
    "vehicle.link_error": "与无人机的链路出错",
    "vehicle.no_answer": "无人机没有应答",
    "vehicle.timeout": "无人机未及时响应",
    "vehicle.command_rejected": "无人机拒绝了指令（{result_name}）",
    "vehicle.command_busy": "无人机正忙，请稍后再试",
    "vehicle.command_denied": "无人机在当前状态下拒绝此指令",
    "vehicle.command_unsupported": "无人机不支持此指令",
    "vehicle.command_failed": "无人机尝试执行但失败",
    "vehicle.command_cancelled": "指令已被取消",
    "vehicle.arming_refused": "无人机拒绝解锁（起飞前检查未通过）",
    "vehicle.mode_unknown": "飞控没有此飞行模式",
    "vehicle.mission_transfer_failed": "航线上传或下载失败",
    "vehicle.parameter_error": "无法读取或设置飞控参数",
    "mission.*": "任务被拒绝",
    "mission.refused": "任务被拒绝",
    "mission.unsafe": "任务未通过安全检查",
    "mission.bad_parameter": "任务参数 {field} 无效",
    "mission.bad_input": "任务输入 {field} 缺失或无效",
    "mission.unknown_template": "没有此任务模板（{value}）",
    "mission.bad_file": "文件无法读取",
    "mission.bad_geometry": "图形无效：区域自相交、过小或航线没有长度",
    "mission.above_ceiling": "高度 {value_m} 超过 {limit_m} 的限高",
    "mission.no_fly_zone": "航线进入禁飞区 {zone}",
    "mission.spacing_too_small": "间距 {value_m} 小于最小值 {limit_m}",
    "mission.too_many_items": "航点 {value} 个，超过无人机可接受的 {limit} 个",
    "mission.out_of_battery": "需要一块电池的 {value_pct}，另需保留 {reserve_pct}，可用 {battery_pct}：一块电池飞不完，请缩小区域",
    "altitude_out_of_range": "{field} 的高度超出范围",
    "polygon_sliver": "区域过窄",
    "position_off_globe": "{field} 的坐标不在地球上",
    "too_many_vertices": "顶点过多（上限 {limit}）",
    "file_too_large": "文件过大（上限 {limit}）",
    "file_too_deep": "文件嵌套过深",
    "kmz_too_large": "KMZ 文件解压后过大",
    "kmz_ratio": "KMZ 文件压缩比异常",
    "kmz_too_many_members": "KMZ 文件包含的文件过多",
    "dispatch.*": "调度被拒绝",
    "dispatch.error": "调度被拒绝",
    "video.*": "视频不可用",
    "video.error": "视频出错",
    "video.bad_offer": "浏览器的视频请求无效",
    "video.source_unavailable": "视频源暂不可用",
    "video.unsupported_media_type": "视频请求格式不对",
    "video.unknown_drone": "这架无人机没有视频",
    "video.unknown_session": "视频会话已结束",
    "video.too_many_viewers": "观看人数已满",
    "video.too_many_user_sessions": "你打开的视频过多",
    "video.sessions.per_user": "你打开的视频过多",
    "video.gb28181_auth_refused": "国标平台认证被拒绝",
    "video.unknown_mode": "不认识的视频模式",
    "video.viewer_lacks_h264": "此浏览器不支持 H.264 直通",
    "video.source_not_h264": "视频源不是 H.264，无法直通",
    "vehicle.out_of_range": "{field} 必须在 {low} 到 {high} 之间",
    "vehicle.disarmed_on_ground": "无人机在地面上锁，{attempts} 次都没有起飞",
    "simulator.error": "模拟器出错",
    "kml.parse_error": "KML 文件不是有效的 XML",
    "kml.no_geometry": "KML 文件中没有区域、航线或点",
    "geojson.parse_error": "文件不是有效的 JSON",
    "geojson.no_geometry": "文件中没有图形",
    "geojson.unsupported_type": "不支持的 GeoJSON 类型 {type}",
    "plan_file.no_geometry": ".plan 文件中没有区域、航线或航点",
  },
  en: {
    "*": "Not done ({code})",
    "error": "Not done",
    "network": "Cannot reach the server",
    "http.*": "Request failed (HTTP {status})",
    "http.400": "Bad request",
    "http.401": "Not logged in, or the login expired",
    "http.403": "Not allowed",
    "http.404": "Not found",
    "http.405": "The server does not offer this",
    "http.409": "Conflicts with the current state",
    "http.413": "Request too large",
    "http.415": "Unsupported content type",
    "http.422": "Invalid input",
    "http.429": "Too many requests; try again shortly",
    "http.500": "Server error",
    "http.502": "The drone did not do it",
    "http.503": "Server busy, or a part is not running",
    "http.504": "Took too long",
    "server.internal": "Server error; the details are in the server log",
    "server.start_failed": "The server did not start",
    "config.invalid": "Bad configuration: {field}",
    "auth.*": "Authentication failed",
    "auth.wrong_credentials": "Wrong user name or password",
    "auth.locked": "Sign-in locked after {max_failures} failures; try again in {retry_after_s}",
    "auth.not_authenticated": "Please log in",
    "auth.token_revoked": "Your login is no longer valid; log in again",
    "auth.token_in_url": "A token cannot go in the URL",
    "auth.user_unavailable": "This user is disabled or gone",
    "auth.forbidden": "Your role does not allow this",
    "user.*": "User change refused",
    "user.exists": "User {value} exists already",
    "user.not_found": "No user {value}",
    "user.last_admin": "The last admin cannot be removed",
    "user.admin_lockout": "Refused: this would lock the admins out",
    "user.cannot_disable_self": "You cannot disable your own account",
    "password.*": "Password too weak; choose another",
    "password.weak": "The password is too easy to guess; choose another",
    "password.common": "That is a commonly used password; choose another",
    "password.user_derived": "The password is built from the user's name; choose another",
    "validation.*": "{field}: invalid value",
    "validation.invalid": "Invalid input",
    "validation.missing": "{field} is missing",
    "validation.json_invalid": "Not valid JSON (at character {position})",
    "validation.less_than_equal": "{field} must be at most {limit}",
    "validation.less_than": "{field} must be less than {limit}",
    "validation.greater_than_equal": "{field} must be at least {limit}",
    "validation.greater_than": "{field} must be more than {limit}",
    "validation.string_too_long": "{field}: at most {limit} characters",
    "validation.string_too_short": "{field}: at least {limit} characters",
    "validation.too_long": "{field}: at most {limit} items",
    "validation.too_short": "{field}: at least {limit} items",
    "validation.string_type": "{field} must be text",
    "validation.int_parsing": "{field} must be a whole number",
    "validation.int_type": "{field} must be a whole number",
    "validation.float_parsing": "{field} must be a number",
    "validation.float_type": "{field} must be a number",
    "validation.finite_number": "{field} must be a finite number",
    "validation.bool_parsing": "{field} must be yes or no",
    "validation.enum": "{field} is not one of the choices",
    "validation.literal_error": "{field} is not one of the choices",
    "validation.extra_forbidden": "Unknown field {field}",
    "validation.string_pattern_mismatch": "{field} is not in the right form",
    "validation.datetime_parsing": "{field} is not a valid time",
    "validation.value_error": "{field}: invalid value",
    "body_too_large": "Request too large (at most {limit})",
    "body_too_deep": "Request nested too deeply",
    "body_not_utf8": "The request is not UTF-8 text",
    "number_not_finite": "{field} must be a finite number",
    "text_not_unicode": "{field} holds invalid characters",
    "cpu_timeout": "The computation took too long and was stopped",
    "workers_busy": "Server busy; try again shortly",
    "workers_restarted": "The workers restarted; try again",
    "work.timeout": "The computation took too long and was stopped",
    "work.busy": "Server busy; try again shortly",
    "store.*": "Database error",
    "store.not_found": "{value} not found",
    "store.exists": "{value} exists already",
    "store.unavailable": "The database is unavailable",
    "audit.bad_checkpoint_file": "The audit checkpoint file cannot be read",
    "audit.*": "Entry {seq} fails the check",
    "audit.chain": "Entry {seq} fails the check",
    "audit.chain.edited": "Entry {seq} was edited",
    "audit.chain.deleted": "An entry before {seq} was deleted",
    "audit.chain.reordered": "Entry {seq} is out of order",
    "audit.chain.wrong_key": "Entry {seq} was not signed with this server's audit key",
    "alerts.unavailable": "The alert service is not running",
    "track.too_short": "No flown track",
    "fleet.vehicle_not_found": "No such drone ({value})",
    "fleet.vehicle_exists": "This drone is registered already ({value})",
    "vehicle.*": "The drone did not take the command",
    "vehicle.error": "Drone error",
    "vehicle.link_error": "Link to the drone failed",
    "vehicle.no_answer": "The drone did not answer",
    "vehicle.timeout": "The drone did not respond in time",
    "vehicle.command_rejected": "The drone refused the command ({result_name})",
    "vehicle.command_busy": "The drone is busy; try again shortly",
    "vehicle.command_denied": "The drone refuses this in its current state",
    "vehicle.command_unsupported": "The drone does not support this command",
    "vehicle.command_failed": "The drone tried and failed",
    "vehicle.command_cancelled": "The command was cancelled",
    "vehicle.arming_refused": "The drone refused to arm (pre-arm checks failed)",
    "vehicle.mode_unknown": "The autopilot has no such flight mode",
    "vehicle.mission_transfer_failed": "Mission upload or download failed",
    "vehicle.parameter_error": "Cannot read or set an autopilot parameter",
    "mission.*": "Mission refused",
    "mission.refused": "Mission refused",
    "mission.unsafe": "The mission failed a safety check",
    "mission.bad_parameter": "Bad mission parameter {field}",
    "mission.bad_input": "Mission input {field} missing or malformed",
    "mission.unknown_template": "No such template ({value})",
    "mission.bad_file": "The file cannot be read",
    "mission.bad_geometry": "Bad geometry: the area crosses itself or is too small, or the route has no length",
    "mission.above_ceiling": "{value_m} is above the {limit_m} ceiling",
    "mission.no_fly_zone": "The path enters the no-fly zone {zone}",
    "mission.spacing_too_small": "A spacing of {value_m} is below the {limit_m} minimum",
    "mission.too_many_items": "{value} items; the drone accepts at most {limit}",
    "mission.out_of_battery": "Needs {value_pct} of a battery plus the {reserve_pct} reserve, {battery_pct} available: too much for one battery; make the area smaller",
    "altitude_out_of_range": "{field}: altitude out of range",
    "polygon_sliver": "The area is too thin",
    "position_off_globe": "{field}: the position is not on the globe",
    "too_many_vertices": "Too many vertices (at most {limit})",
    "file_too_large": "File too large (at most {limit})",
    "file_too_deep": "File nested too deeply",
    "kmz_too_large": "The KMZ file unpacks too large",
    "kmz_ratio": "The KMZ file's compression ratio is implausible",
    "kmz_too_many_members": "The KMZ file holds too many files",
    "dispatch.*": "Dispatch refused",
    "dispatch.error": "Dispatch refused",
    "video.*": "Video unavailable",
    "video.error": "Video error",
    "video.bad_offer": "The browser's video request is invalid",
    "video.source_unavailable": "The video source is not available yet",
    "video.unsupported_media_type": "Wrong video request format",
    "video.unknown_drone": "This drone has no video",
    "video.unknown_session": "The video session has ended",
    "video.too_many_viewers": "Too many viewers",
    "video.too_many_user_sessions": "You have too many videos open",
    "video.sessions.per_user": "You have too many videos open",
    "video.gb28181_auth_refused": "GB/T 28181 platform authentication refused",
    "video.unknown_mode": "Unknown video mode",
    "video.viewer_lacks_h264": "This browser does not take H.264 passthrough",
    "video.source_not_h264": "The source is not H.264: no passthrough",
    "vehicle.out_of_range": "{field} must be between {low} and {high}",
    "vehicle.disarmed_on_ground": "The drone disarmed on the ground {attempts} times instead of taking off",
    "simulator.error": "Simulator error",
    "kml.parse_error": "The KML file is not well-formed XML",
    "kml.no_geometry": "No Polygon, LineString or Point in the KML",
    "geojson.parse_error": "The file is not valid JSON",
    "geojson.no_geometry": "The file holds no geometry",
    "geojson.unsupported_type": "Unsupported GeoJSON type {type}",
    "plan_file.no_geometry": "No polygon, polyline or waypoints in the .plan",
  },
};

// Flight modes of ArduCopter and PX4 (as the flight core names them), states, commands,
// audit actions and the fields an error can name.
const TERMS = {
  zh: {
    "mode.STABILIZE": "自稳", "mode.ACRO": "特技", "mode.ALT_HOLD": "定高", "mode.AUTO": "自动任务",
    "mode.GUIDED": "引导", "mode.LOITER": "悬停", "mode.RTL": "返航", "mode.CIRCLE": "绕圈",
    "mode.LAND": "降落", "mode.DRIFT": "漂移", "mode.SPORT": "运动", "mode.FLIP": "翻转",
    "mode.AUTOTUNE": "自动调参", "mode.POSHOLD": "定点", "mode.BRAKE": "刹停", "mode.THROW": "抛飞",
    "mode.AVOID_ADSB": "避让", "mode.GUIDED_NOGPS": "无卫星引导", "mode.SMART_RTL": "智能返航",
    "mode.FLOWHOLD": "光流定点", "mode.FOLLOW": "跟随", "mode.ZIGZAG": "往返作业", "mode.SYSTEMID": "系统辨识",
    "mode.AUTOROTATE": "自旋降落", "mode.AUTO_RTL": "自动返航", "mode.TURTLE": "翻正",
    "mode.MANUAL": "手动", "mode.ALTCTL": "定高", "mode.POSCTL": "定点", "mode.OFFBOARD": "外部控制",
    "mode.STABILIZED": "自稳", "mode.RATTITUDE": "半自稳", "mode.MISSION": "自动任务",
    "mode.AUTO.MISSION": "自动任务", "mode.AUTO.LOITER": "悬停", "mode.AUTO.RTL": "返航",
    "mode.AUTO.LAND": "降落", "mode.AUTO.TAKEOFF": "起飞", "mode.TAKEOFF": "起飞", "mode.AUTO.READY": "就绪",
    "mode.READY": "就绪", "mode.HOLD": "悬停", "mode.FOLLOW_TARGET": "跟随目标",
    "mode.AUTO.FOLLOW_TARGET": "跟随目标", "mode.PRECLAND": "精准降落", "mode.AUTO.PRECLAND": "精准降落",
    "mode.ORBIT": "绕圈", "mode.UNKNOWN": "未知模式",
    "state.available": "待命", "state.assigned": "已指派", "state.flying": "飞行中", "state.returning": "返航中",
    "state.lost": "失联", "state.busy": "忙碌", "state.maintenance": "维护中", "state.offline": "离线",
    "state.retired": "已退役", "state.planned": "已规划", "state.uploading": "上传中", "state.paused": "已暂停",
    "state.completed": "已完成", "state.aborted": "已中止", "state.failed": "失败", "state.launched": "已起飞",
    "state.skipped": "已跳过", "state.reported": "已上报", "state.queued": "排队中", "state.launching": "起飞中",
    "state.en_route": "飞往现场", "state.on_scene": "到达现场", "state.closed": "已结案", "state.cancelled": "已取消",
    "command.pause": "接管悬停", "command.goto": "飞往", "command.rtl": "返航", "command.land": "降落",
    "command.release": "交还任务", "command.arm": "解锁", "command.disarm": "上锁", "command.takeoff": "起飞",
    "command.mode": "切换模式", "command.mission_start": "开始任务", "command.upload": "上传航线",
    "command.command": "指令", "command.event": "事件",
    "result.sent": "已发送", "result.accepted": "已接受", "result.rejected": "被拒绝", "result.failed": "失败",
    "result.timeout": "无应答", "result.ok": "成功",
    "action.auth.login": "登录", "action.auth.login_failed": "登录失败", "action.auth.locked": "登录锁定",
    "action.auth.logout": "退出登录", "action.audit.keyed": "审计链密钥封存",
    "action.incident.report": "上报警情", "action.incident.confirm": "确认起飞", "action.incident.redirect": "改飞新位置",
    "action.incident.*": "警情状态：{state}", "action.mission.*": "任务状态：{state}", "action.mission.track": "保存航迹",
    "action.patrol.launch": "巡逻起飞", "action.patrol.skipped": "巡逻跳过", "action.patrol.create": "创建巡逻",
    "action.patrol.update": "修改巡逻", "action.patrol.delete": "删除巡逻",
    "action.recording.segment": "录像分段", "action.vehicle.command": "无人机指令", "action.vehicle.release": "交还任务",
    "action.vehicle.status": "无人机状态", "action.vehicle.take_over": "接管",
    "action.vehicle.pause": "接管悬停", "action.vehicle.goto": "飞往地图点", "action.vehicle.rtl": "返航",
    "action.vehicle.land": "降落", "action.user.create": "创建用户", "action.user.update": "修改用户",
    "action.user.disable": "停用用户", "action.user.password": "修改密码", "action.*": "操作",
    "detail.*": "{key}",
    "detail.address": "地址", "detail.scope": "范围", "detail.limit": "限制", "detail.command": "指令",
    "detail.result": "结果", "detail.mode": "模式", "detail.reason": "原因", "detail.state": "状态",
    "detail.from_state": "原状态", "detail.to_state": "新状态", "detail.system_id": "系统号",
    "detail.vehicle": "无人机", "detail.drone": "无人机", "detail.incident_id": "警情", "detail.mission_id": "任务",
    "detail.username": "用户", "detail.role": "角色", "detail.latitude_deg": "纬度", "detail.longitude_deg": "经度",
    "detail.relative_altitude_m": "相对高度", "detail.altitude_m": "高度", "detail.playbook_id": "预案",
    "detail.priority": "优先级", "detail.note": "说明", "detail.count": "次数", "detail.attempts": "尝试次数",
    "detail.patrol_id": "巡逻", "detail.segment": "分段", "detail.sha256": "哈希", "detail.path": "路径", "detail.method": "请求方法", "detail.status": "状态码",
    "detail.accepted": "已接受", "detail.params": "参数", "detail.file": "文件",
    "detail.bytes": "大小", "detail.flight_id": "航次", "detail.points": "航迹点数", "detail.vehicle_id": "无人机",
    "detail.error": "错误", "detail.detail": "说明", "detail.scope_value": "范围", "detail.first": "首次",
    "detail.last": "末次", "detail.duration_s": "时长", "detail.distance_m": "距离",
    "pattern.area_survey": "区域测绘", "pattern.corridor": "走廊扫描", "pattern.expanding_square": "扩展方形搜索",
    "pattern.hover": "定点悬停", "pattern.orbit": "环绕", "pattern.perimeter": "周界巡查",
    "pattern.sector_search": "扇形搜索", "pattern.structure_scan": "结构扫描", "pattern.waypoint_loop": "航点巡逻",
    "pattern.crosshatch": "井字", "pattern.fast": "快速", "pattern.high": "高空", "pattern.oblique": "倾斜",
    "pattern.sea": "海上", "pattern.long": "长时", "pattern.standoff": "远距", "pattern.laps": "多圈",
    "pattern.points": "多点", "pattern.hold": "停留", "pattern.loudspeaker": "喊话",
    "target.*": "{type}", "target.user": "用户", "target.vehicle": "无人机", "target.incident": "警情",
    "target.mission": "任务", "target.patrol": "巡逻", "target.address": "地址", "target.audit": "审计链",
    "target.case": "案件", "target.recording": "录像", "target.alert": "告警",
    "field.*": "{field}",
    "field.password": "密码", "field.username": "用户名", "field.energy_pct": "耗电", "field.area": "区域",
    "field.route": "航线", "field.point": "目标点", "field.altitude_m": "高度", "field.cron": "时间表",
    "field.latitude_deg": "纬度", "field.longitude_deg": "经度", "field.body": "请求内容", "field.token": "登录令牌",
  },
  en: {
    "mode.*": "{mode}", "state.*": "{state}", "command.*": "{command}", "result.*": "{result}",
    "action.*": "{action}", "detail.*": "{key}", "field.*": "{field}", "target.*": "{type}",
  },
};

for (const lang of ["zh", "en"]) {
  for (const [code, text] of Object.entries(CODES[lang])) STRINGS[lang][`code.${code}`] = text;
  Object.assign(STRINGS[lang], TERMS[lang]);
}

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
  const hours = Math.floor(m / 60);
  if (hours) {
    const min = String(m % 60).padStart(2, "0");
    return current === "zh" ? `${formatNumber(hours, 0)}小时${min}分` : `${formatNumber(hours, 0)} h ${min} min`;
  }
  if (current === "zh") return m ? `${m}分${String(rest).padStart(2, "0")}秒` : `${rest}秒`;
  return m ? `${m} min ${String(rest).padStart(2, "0")} s` : `${rest} s`;
}

export function formatDistance(meters) {
  if (meters == null || !Number.isFinite(meters)) return "–";
  if (meters >= 1000) return `${formatNumber(meters / 1000, 1)} km`;
  return `${formatNumber(meters, 0)} m`;
}

/** A number formatted for the language (grouping, at most `digits` decimals). */
export function formatNumber(value, digits = 1) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? "–");
  return new Intl.NumberFormat(current === "zh" ? "zh-CN" : "en", { maximumFractionDigits: digits }).format(n);
}

/** A term looked up as `${kind}.${name}`, else the kind's fallback ("mode.*"), else the name. */
function term(kind, name, vars) {
  const table = STRINGS[current];
  const text = table[`${kind}.${name}`] ?? table[`${kind}.*`];
  if (text == null) return String(name);
  return fill(text, vars);
}

function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A flight mode's name in the language (ArduCopter and PX4 names). */
export const modeName = (mode) => (mode ? term("mode", String(mode), { mode }) : "–");
/** A vehicle, mission, incident or patrol state in the language. */
export const stateName = (value) => (value ? term("state", String(value).toLowerCase(), { state: value }) : "");
/** A command's name (pause, goto, rtl...) in the language. */
export const commandName = (command) => term("command", String(command), { command });
/** A command's result (sent, accepted...) in the language. */
export const resultName = (result) => term("result", String(result).toLowerCase(), { result });
/** The name of an input field an error names (``energy_pct``), in the language. */
export const fieldName = (field) => (field ? term("field", String(field).split(/[.[]/)[0], { field }) : "");

/** An audit action (``vehicle.rtl``, ``incident.closed``) in the language. */
export function actionName(action) {
  const text = String(action ?? "");
  const table = STRINGS[current];
  if (table[`action.${text}`] != null) return table[`action.${text}`];
  const [family, rest] = [text.split(".")[0], text.split(".").slice(1).join(".")];
  const familyText = table[`action.${family}.*`];
  if (familyText != null) return fill(familyText, { state: stateName(rest), action: text });
  return fill(table["action.*"] ?? "{action}", { action: text });
}

/** A mission pattern's description ("area_survey (fast)", "perimeter + orbit") in the language. */
export function patternName(text) {
  if (current === "en") return String(text ?? "");
  return String(text ?? "").replace(/[a-z_]+/g, (word) => STRINGS[current][`pattern.${word}`] ?? word).replace(/\(/g, "（").replace(/\)/g, "）").replace(/, /g, "、");
}

/** The kind of an audit target (user, vehicle, incident) in the language. */
export const targetName = (type) => (type ? term("target", String(type), { type }) : "");

/** A bilingual name ("刘公岛军事管理区 Liugong Island ...") in the language: in zh the Chinese
 * part only; other text as it is. */
export function localText(text) {
  const s = String(text ?? "");
  if (current !== "zh") return s;
  const m = s.match(/^(.*[\u3400-\u9fff][^A-Za-z]*?)\s+[A-Za-z][^\u3400-\u9fff]*$/);
  return m ? m[1] : s;
}

/** One value of a message parameter, formatted by its name's unit for the language. */
function formatParam(name, value) {
  if (value == null) return "–";
  if (typeof value === "boolean") return t(value ? "common.yes" : "common.no");
  if (name === "field") return fieldName(value);
  if (name === "mode") return modeName(value);
  if (name === "state" || name.endsWith("_state")) return stateName(value);
  if (typeof value === "number" || (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))) {
    const n = Number(value);
    if (name.endsWith("_s")) return formatDuration(n);
    if (name.endsWith("_m")) return formatDistance(n);
    if (name.endsWith("_pct")) return `${formatNumber(n, 0)}%`;
    if (name.endsWith("_deg")) return `${formatNumber(n, 6)}°`;
    if (name.endsWith("_id") || name === "id" || name === "position") return String(value);
    return formatNumber(n);
  }
  if (Array.isArray(value)) return value.map((v) => formatParam("", v)).join(", ");
  if (typeof value === "object") return "…";
  return localText(value);
}

/**
 * The message of `code` in the language, its `params` filled in and formatted. `value` and
 * `limit` are also offered with units by the field they belong to (`value_m`, `limit_pct`).
 * Without an entry: the family's message ("mission.*"), then a generic one naming the code;
 * never the server's English text in zh.
 */
export function tCode(code, params = {}) {
  const table = STRINGS[current];
  const name = String(code || "error");
  const family = name.includes(".") ? name.split(".")[0] : "";
  const text = table[`code.${name}`] ?? (family ? table[`code.${family}.*`] : undefined) ?? table["code.*"];
  const vars = { code: name };
  const given = params && typeof params === "object" ? params : {};
  const unit = String(given.field ?? "").match(/_(m|s|pct|deg)$/)?.[1];
  for (const [key, value] of Object.entries(given)) vars[key] = formatParam(key, value);
  for (const key of ["value", "limit"]) {
    for (const suffix of ["m", "s", "pct", "deg"]) {
      if (given[key] == null) continue;
      vars[`${key}_${suffix}`] = formatParam(`${key}_${suffix}`, given[key]);
    }
    if (unit && given[key] != null) vars[key] = formatParam(`${key}_${unit}`, given[key]);
  }
  return fill(text, vars).replace(/\{\w+\}/g, "–");
}

/** Whether the catalogs have a message of their own for `code` (not a fallback). */
export function hasCode(code) {
  return STRINGS[current][`code.${code}`] != null;
}

/** An audit entry's or event's details as "name: value" pairs in the language. */
export function detailText(details) {
  if (details == null || details === "") return "";
  if (typeof details !== "object" || Array.isArray(details)) return formatParam("", details);
  const sep = current === "zh" ? "：" : ": ";
  const present = (v) => v != null && v !== "" && !(typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);
  return Object.entries(details).filter(([, value]) => present(value)).map(([key, value]) => {
    let shown;
    if (key === "role") shown = STRINGS[current][`role.${value}`] ?? String(value);
    else if (key === "command") shown = commandName(value);
    else if (key === "result") shown = resultName(value);
    else if (value && typeof value === "object" && !Array.isArray(value)) shown = detailText(value);
    else shown = formatParam(key, value);
    return `${term("detail", key, { key })}${sep}${shown}`;
  }).join(current === "zh" ? "；" : "; ");
}

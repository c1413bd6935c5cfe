// UI text: Japanese by default, English on request (the switch in the header); kept in localStorage.
const ja = {
  appName: 'つなぐ', signIn: 'サインイン', signInWith: '施設のアカウントでサインイン', demoUsers: 'デモ利用者を選んでください',
  signOut: 'サインアウト', rooms: 'ルーム', mentions: 'メンション', noRooms: '参加しているルームはありません',
  noMentions: 'メンションはありません', back: '戻る', send: '送信', photo: '写真', attachment: '添付', urgent: '至急',
  placeholder: 'メッセージを入力', pending: '送信待ち（電波が戻ると送信します）', failed: '送信できませんでした',
  discard: '取り消す', reply: '返信', edit: '編集', delete: '削除', save: '保存', cancel: 'やめる',
  deleted: 'このメッセージは削除されました', edited: '編集済み', confirmDelete: 'このメッセージを削除しますか？',
  replyTo: '返信先', readBy: '既読', notRead: '未読', loadOlder: '以前のメッセージ', roomError: 'このルームは表示できません',
  online: '接続中', offline: 'オフライン', connecting: '再接続中…', mentionPick: '宛先を追加', everyone: '全員',
  consent: '健康記録の共有', requests: '共有のお願い', grants: '共有中の範囲', views: '記録を見た人', approve: '承認する',
  decline: 'お断りする', revoke: '共有をやめる', confirmRevoke: 'この共有を取り消しますか？すぐに全員から見えなくなります。',
  noRequests: 'お願いはありません', noGrants: '共有はありません', noViews: 'まだ誰も見ていません',
  purpose: '目的', audience: '見られる人', validDays: '期間', days: '日', requestedBy: '依頼者', allMembers: 'ルームの専門職全員',
  postCard: 'カードを投稿', cardKind: '種類', state: '状態', until: 'まで',
  notShared: 'この内容はあなたには共有されていません', revoked: '共有は取り消されました', expired: '共有の期限が切れました',
  notYetValid: '共有はまだ始まっていません', sourceUnavailable: '健康記録を今は読み込めません', loading: '読み込み中…',
  viaBridge: '経由', deliveryPending: '送信中', deliveryDelivered: '送信済み', deliveryFailed: '送信失敗',
  lang: 'English', you: 'あなた', residentOnly: '共有の承認はご本人またはご家族（代理人）が行います',
  inbox: 'やること', inboxEmpty: 'いま対応が必要なものはありません', inboxRequests: '依頼されていること',
  inboxAcks: '確認が必要な至急連絡', inboxMentions: '未読のメンション', inboxMine: '期限切れ・お断りされた依頼', seeAll: 'すべて見る',
  state_open: '未対応', state_accepted: '承知', state_done: '完了', state_declined: 'お断り', state_cancelled: '取り消し',
  overdue: '期限切れ', due: '期限', assignee: '担当', requestAccept: '承知', requestComplete: '完了',
  requestDecline: 'お断り', requestCancel: '依頼を取り消す', declineReason: 'お断りの理由', completeNote: '完了のメモ（任意）',
  acknowledge: '確認しました', acknowledgedByAll: '全員が確認済み', waitingFor: '確認待ち', escalated: 'エスカレーション済み',
  makeRequest: '依頼にする', requestKind: '種類', requestTo: '担当', requestDue: '期限',
  kind_visit_arrangement: '訪問調整', kind_prescription_change: '処方変更', kind_report: '報告依頼', kind_other: 'その他',
  pin: 'ピン留め', unpin: 'ピンを外す', pinned: 'ピン留め', bookmark: 'ブックマーク', bookmarked: 'ブックマーク済み',
  bookmarks: 'ブックマーク', noBookmarks: 'ブックマークはありません',
  notifySettings: '通知設定', thisDevice: 'この端末', push_on: 'この端末に通知が届きます', push_off: 'この端末には通知が届きません',
  push_denied: 'ブラウザが通知を拒否しています。ブラウザの設定で許可してください', push_unsupported: 'このブラウザは通知に対応していません',
  pushOn: '通知を受け取る', pushOff: '通知を止める', pushOnDone: '通知をオンにしました', pushOffDone: '通知をオフにしました',
  pushRefused: '通知を許可できませんでした', pushPreview: 'ロック画面にルーム名と本文を表示する',
  pushPreviewHelp: 'オフのときは「メンションがあります」などの種類と送った人だけを表示します（この端末の設定）',
  dnd: 'おやすみモード', dndUntil: '次まで:', dndOff: 'オフ', dnd1h: '1時間', dndTomorrow: '明日 8:00 まで', dndStop: '解除',
  dndOnDone: 'おやすみモードにしました', dndOffDone: 'おやすみモードを解除しました',
  urgentBreaksThrough: 'あなたに確認を求める至急連絡は、おやすみモード中も通知しない時間帯にも届きます',
  quietHours: '通知しない時間帯', quietOff: '設定なし', quietStop: '時間帯を解除', saved: '保存しました',
  day_mon: '月', day_tue: '火', day_wed: '水', day_thu: '木', day_fri: '金', day_sat: '土', day_sun: '日',
  roomLevels: 'ルームごとの通知', level_all: 'すべて', level_mentions: 'メンション・依頼・至急', level_none: '至急のみ',
  default: '既定', directRoom: '個別チャット', promptTitle: '通知を受け取りますか？',
  promptBody: '至急連絡や依頼が、アプリを閉じていても届きます。', promptYes: '受け取る', promptLater: 'あとで',
  search: '検索', searchAll: 'すべてのルームを検索', searchRoom: 'このルームを検索', searchMore: 'さらに表示',
  searchNone: '見つかりませんでした', searchFailed: '検索できませんでした',
};
const en = {
  appName: 'Tsunagu', signIn: 'Sign in', signInWith: 'Sign in with your facility account', demoUsers: 'Pick a demo user',
  signOut: 'Sign out', rooms: 'Rooms', mentions: 'Mentions', noRooms: 'You are in no rooms yet',
  noMentions: 'No mentions', back: 'Back', send: 'Send', photo: 'Photo', attachment: 'Attachment', urgent: 'Urgent',
  placeholder: 'Write a message', pending: 'Waiting to send (sent when the signal returns)', failed: 'Could not be sent',
  discard: 'Discard', reply: 'Reply', edit: 'Edit', delete: 'Delete', save: 'Save', cancel: 'Cancel',
  deleted: 'This message was deleted', edited: 'edited', confirmDelete: 'Delete this message?',
  replyTo: 'Replying to', readBy: 'Read', notRead: 'Not read', loadOlder: 'Older messages', roomError: 'This room cannot be shown',
  online: 'Connected', offline: 'Offline', connecting: 'Reconnecting…', mentionPick: 'Add a mention', everyone: 'Everyone',
  consent: 'Health-record sharing', requests: 'Share requests', grants: 'What is shared', views: 'Who viewed the record',
  approve: 'Approve', decline: 'Decline', revoke: 'Stop sharing', confirmRevoke: 'Revoke this share? It is hidden from everyone at once.',
  noRequests: 'No requests', noGrants: 'Nothing is shared', noViews: 'Nobody has viewed it yet',
  purpose: 'Purpose', audience: 'Who may see', validDays: 'Valid for', days: 'days', requestedBy: 'Asked by', allMembers: 'All professionals of the room',
  postCard: 'Post a card', cardKind: 'Kind', state: 'State', until: 'until',
  notShared: 'This is not shared with you', revoked: 'Sharing was revoked', expired: 'Sharing has expired',
  notYetValid: 'Sharing has not started yet', sourceUnavailable: 'The health record cannot be read now', loading: 'Loading…',
  viaBridge: 'via', deliveryPending: 'Sending', deliveryDelivered: 'Sent', deliveryFailed: 'Not sent',
  lang: '日本語', you: 'you', residentOnly: 'The resident or a family proxy approves sharing',
  inbox: 'My actions', inboxEmpty: 'Nothing needs you right now', inboxRequests: 'Asked of me',
  inboxAcks: 'Urgent, to acknowledge', inboxMentions: 'Unread mentions', inboxMine: 'My requests: overdue or declined', seeAll: 'See all',
  state_open: 'open', state_accepted: 'accepted', state_done: 'done', state_declined: 'declined', state_cancelled: 'cancelled',
  overdue: 'overdue', due: 'Due', assignee: 'For', requestAccept: 'Accept', requestComplete: 'Done',
  requestDecline: 'Decline', requestCancel: 'Cancel request', declineReason: 'Why decline?', completeNote: 'Note (optional)',
  acknowledge: 'Acknowledge', acknowledgedByAll: 'Acknowledged by all', waitingFor: 'Waiting for', escalated: 'Escalated',
  makeRequest: 'Make it a request', requestKind: 'Kind', requestTo: 'For', requestDue: 'Due',
  kind_visit_arrangement: 'Visit arrangement', kind_prescription_change: 'Prescription change', kind_report: 'Report', kind_other: 'Other',
  pin: 'Pin', unpin: 'Unpin', pinned: 'Pinned', bookmark: 'Bookmark', bookmarked: 'Bookmarked',
  bookmarks: 'Bookmarks', noBookmarks: 'No bookmarks',
  notifySettings: 'Notifications', thisDevice: 'This device', push_on: 'This device receives notifications',
  push_off: 'This device receives no notifications', push_denied: 'The browser blocks notifications; allow them in its settings',
  push_unsupported: 'This browser cannot receive notifications', pushOn: 'Turn on', pushOff: 'Turn off',
  pushOnDone: 'Notifications are on', pushOffDone: 'Notifications are off', pushRefused: 'Notifications were not allowed',
  pushPreview: 'Show the room and the text on the lock screen',
  pushPreviewHelp: 'Off: only the kind of news and who sent it (a setting of this device)',
  dnd: 'Do not disturb', dndUntil: 'Until', dndOff: 'Off', dnd1h: '1 hour', dndTomorrow: 'Until 8:00 tomorrow', dndStop: 'End',
  dndOnDone: 'Do not disturb is on', dndOffDone: 'Do not disturb is off',
  urgentBreaksThrough: 'Urgent messages that ask you to acknowledge reach you even then',
  quietHours: 'Quiet hours', quietOff: 'None', quietStop: 'Remove quiet hours', saved: 'Saved',
  day_mon: 'Mon', day_tue: 'Tue', day_wed: 'Wed', day_thu: 'Thu', day_fri: 'Fri', day_sat: 'Sat', day_sun: 'Sun',
  roomLevels: 'Per room', level_all: 'Everything', level_mentions: 'Mentions, requests, urgent', level_none: 'Urgent only',
  default: 'default', directRoom: 'Direct chat', promptTitle: 'Receive notifications?',
  promptBody: 'Urgent messages and requests reach you even with the app closed.', promptYes: 'Turn on', promptLater: 'Later',
  search: 'Search', searchAll: 'Search all rooms', searchRoom: 'Search this room', searchMore: 'More',
  searchNone: 'Nothing found', searchFailed: 'The search failed',
};
const categoriesJa = { lab: '検査結果', medication: 'お薬', 'vital.bp': '血圧', 'vital.weight': '体重', 'vital.glucose': '血糖',
  allergy: 'アレルギー', memo: 'メモ', condition: '病名' };
const categoriesEn = { lab: 'Labs', medication: 'Medication', 'vital.bp': 'Blood pressure', 'vital.weight': 'Weight',
  'vital.glucose': 'Glucose', allergy: 'Allergies', memo: 'Memo', condition: 'Conditions' };
const kindsJa = { labs: '最新の検査結果', medication: '服薬中のお薬', vitals: 'バイタルの推移', allergy: 'アレルギー', memo: 'メモ' };
const kindsEn = { labs: 'Latest labs', medication: 'Current medication', vitals: 'Vitals trend', allergy: 'Allergies', memo: 'Memo' };

export let lang = localStorage.getItem('tsunagu.lang') === 'en' ? 'en' : 'ja';

export function t(key) {
  return (lang === 'en' ? en : ja)[key] ?? key;
}

export function category(code) {
  return (lang === 'en' ? categoriesEn : categoriesJa)[code] ?? code;
}

export function kind(code) {
  return (lang === 'en' ? kindsEn : kindsJa)[code] ?? code;
}

export function toggleLang() {
  lang = lang === 'en' ? 'ja' : 'en';
  localStorage.setItem('tsunagu.lang', lang);
  document.documentElement.lang = lang;
}

const PROFESSIONS = { doctor: '医師', dentist: '歯科医師', pharmacist: '薬剤師', nurse: '看護師', assistant_nurse: '准看護師',
  care_manager: 'ケアマネジャー', care_worker: '介護職', physical_therapist: '理学療法士', occupational_therapist: '作業療法士',
  dietitian: '管理栄養士', medical_social_worker: 'MSW', resident: 'ご本人', family: 'ご家族' };

export function professionLabel(code) {
  return lang === 'en' ? (code || '').replace(/_/g, ' ') : PROFESSIONS[code] || code || '';
}

const STATES = { ja: { active: '有効', revoked: '取り消し済み', expired: '期限切れ', 'not-yet-valid': '開始前' },
  en: { active: 'active', revoked: 'revoked', expired: 'expired', 'not-yet-valid': 'not yet valid' } };

export function grantState(code) {
  return STATES[lang][code] ?? code;
}

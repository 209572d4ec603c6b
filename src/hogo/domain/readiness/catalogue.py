# ruff: noqa: E501  (check texts read better unbroken, like hogo.domain.reasons)
"""The catalogue of readiness checks: id, severity, why it matters, the fix, and the source.

Kept apart from the rules so the report, the CLI and the tests share one wording. Figures are the
National Police Agency's (警察庁「令和4年上半期／令和4年におけるサイバー空間をめぐる脅威の情勢等について」).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hogo.domain.display import Labelled


class Severity(Labelled, StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


NPA_H1_2022 = "警察庁「令和4年上半期におけるサイバー空間をめぐる脅威の情勢等について」(2022年9月)"
NPA_2022 = "警察庁「令和4年におけるサイバー空間をめぐる脅威の情勢等について」(2023年3月)"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: Severity
    title_ja: str
    title_en: str
    rationale_ja: str
    rationale_en: str
    fix_ja: str
    fix_en: str
    reference: str


_VPN_RDP_JA = "ランサムウェアの感染経路は VPN 機器 68%、リモートデスクトップ 15%(2022年上半期、2022年通年では 61.8% と 18.6%)。"
_VPN_RDP_EN = "Ransomware came in through VPN devices in 68% and remote desktop in 15% of cases (H1 2022; 61.8% and 18.6% for all of 2022)."
_RESTORE_JA = (
    "2022年にバックアップから復元を試みた被害組織 111 件のうち、被害前の状態に戻せたのは 18.9% のみ。"
)
_RESTORE_EN = (
    "Of 111 victims in 2022 that tried to restore from backup, only 18.9% got back to the pre-attack state."
)

_ALL = [
    Check("eol.past_end_of_life", Severity.critical,
          "サポート終了(EOL)のファームウェア／OS", "Firmware or OS past end of life",
          "サポートが終了した製品には脆弱性の修正が出ず、既知の弱点が塞がれないまま残ります。" + _VPN_RDP_JA,
          "Products past end of life get no fixes, so known flaws stay open. " + _VPN_RDP_EN,
          "サポート中のバージョンへ更新するか、機器を更新(買い替え)してください。", "Upgrade to a supported release or replace the device.",
          NPA_H1_2022),
    Check("eol.vendor_discontinued", Severity.critical,
          "メーカーがファームウェア提供を終了した機種", "Model the vendor no longer ships firmware for",
          "製造時期によってはメーカーが新しいファームウェアを提供しないと公表しており、脆弱性が修正されません。",
          "The vendor announced no more firmware for models made before a date; flaws will not be fixed.",
          "対象機種を買い替え、管理者パスワードと設定を見直してください。", "Replace the device and review its admin password and settings.",
          NPA_H1_2022),
    Check("eol.unknown_lifecycle", Severity.low,
          "サポート期限が不明な機器", "Device with unknown support lifecycle",
          "サポート期限が分からない機器は、更新が止まっても気づけません。", "Nobody notices when updates stop for a device whose lifecycle is unknown.",
          "メーカーのサポート情報でサポート終了日を確認し、台帳に製品名・バージョン(と製造日)を記録してください。",
          "Look up the end-of-support date with the vendor and record product, version (and manufacture date).",
          NPA_H1_2022),
    Check("patch.behind_latest", Severity.medium,
          "同じ系列の最新版に更新されていない", "Not on the latest version of its release cycle",
          "同じ系列の新しい版には脆弱性の修正が含まれます。VPN 機器の既知の脆弱性は侵入経路の中心です。",
          "Newer versions of the same cycle carry security fixes; known VPN flaws are the main way in.",
          "同じ系列の最新版を適用してください。", "Apply the latest version of the same release cycle.",
          NPA_H1_2022),
    Check("patch.stale", Severity.high,
          "長期間パッチが適用されていない", "Not patched for a long time",
          "OS や VPN・ルータのファームウェアを最新に保つことは警察庁が挙げる第一の対策です。",
          "Keeping OS and VPN/router firmware current is the NPA's first measure.",
          "更新を適用し、適用日を台帳に記録してください。", "Apply updates and record the date in the inventory.",
          NPA_H1_2022),
    Check("access.exposed_without_mfa", Severity.critical,
          "インターネットに公開されたリモート接続に多要素認証がない", "Internet-facing remote access without MFA",
          _VPN_RDP_JA + "テレワーク機器の脆弱性や弱い認証情報による侵入が 83% を占めます。",
          _VPN_RDP_EN + " 83% came through telework equipment flaws or weak credentials.",
          "VPN・リモートデスクトップに多要素認証を設定し、不要な公開ポートを閉じてください。",
          "Require multi-factor authentication on VPN and remote desktop; close ports not needed.",
          NPA_H1_2022),
    Check("access.rdp_exposed", Severity.critical,
          "リモートデスクトップ(RDP)がインターネットに直接公開", "Remote desktop (RDP) open to the internet",
          "リモートデスクトップは感染経路の 15%(2022年上半期)。公開された RDP は常時スキャンされています。",
          "Remote desktop was the way in for 15% (H1 2022); exposed RDP is scanned constantly.",
          "RDP のポートを閉じ、多要素認証付きの VPN 経由でのみ接続させてください。",
          "Close the RDP port; allow it only through a VPN with MFA.",
          NPA_H1_2022),
    Check("access.default_password", Severity.high,
          "管理者パスワードが初期値のまま(または不明)", "Admin password still the default (or unknown)",
          "弱い認証情報を使った侵入はテレワーク機器経由の侵入とあわせて 83% を占めます。初期パスワードは公開されています。",
          "Weak credentials together with telework equipment flaws account for 83% of intrusions; default passwords are public.",
          "機器ごとに独自の強い管理者パスワードへ変更してください(家庭用ルータも含む)。",
          "Set a unique strong admin password on each device (home routers included).",
          NPA_H1_2022),
    Check("telework.private_device", Severity.medium,
          "私有端末をテレワークに使っているが、私有端末の利用ルールがない", "Private device used for telework without rules for private devices",
          "警察庁は、テレワークの規程で組織支給端末と私有端末の違いを考慮するよう求めています。私有端末には組織の更新・設定管理が及びません。",
          "The NPA asks telework rules to distinguish company and private devices; private devices are outside the company's patching and configuration.",
          "私有端末の利用条件(許可制、接続先の制限、業務データの保存禁止など)を規程に定めるか、組織支給端末に切り替えてください。",
          "Set conditions for private devices in the telework rules, or issue a company device.",
          NPA_H1_2022),
    Check("inventory.owner_missing", Severity.low,
          "管理責任者が決まっていない機器", "Device without an owner",
          "責任者のいない機器は更新も点検もされません。", "Devices nobody owns are neither patched nor checked.",
          "機器ごとに管理責任者を決めて台帳に記録してください。", "Name an owner for each device in the inventory.",
          NPA_H1_2022),
    Check("backup.missing", Severity.critical,
          "バックアップのないサーバ・NAS", "Server or NAS without a backup",
          "暗号化されたデータはバックアップがなければ戻りません。" + _RESTORE_JA,
          "Encrypted data cannot be recovered without a backup. " + _RESTORE_EN,
          "バックアップジョブを設定し、台帳に登録してください。", "Set up a backup job and record it.",
          NPA_2022),
    Check("backup.three_copies", Severity.high,
          "3-2-1-1-0: 3 つのコピーがない", "3-2-1-1-0: fewer than three copies",
          "元データを含め 3 つのコピーがあれば、1 つが暗号化・故障しても残ります。" + _RESTORE_JA,
          "Three copies including the original survive the loss of one. " + _RESTORE_EN,
          "バックアップ先を追加し、元データを含め 3 つのコピーにしてください。", "Add backup targets so there are three copies with the original.",
          NPA_2022),
    Check("backup.two_media", Severity.medium,
          "3-2-1-1-0: 2 種類の媒体に保存していない", "3-2-1-1-0: fewer than two media",
          "同じ種類の媒体だけでは、同じ原因(障害・攻撃)で全部失われます。", "Copies on one kind of medium fail together.",
          "別の種類の媒体(外付けディスク、テープ、クラウド等)にもコピーしてください。",
          "Keep a copy on another kind of medium (external disk, tape, cloud).",
          NPA_2022),
    Check("backup.offsite", Severity.high,
          "3-2-1-1-0: 社外(遠隔地)のコピーがない", "3-2-1-1-0: no off-site copy",
          "社内ネットワークと同じ場所のコピーは、攻撃や災害で同時に失われます。", "Copies in the same place fall to the same attack or disaster.",
          "1 つのコピーを社外(別拠点・クラウド)に置いてください。", "Keep one copy off-site (another site or the cloud).",
          NPA_2022),
    Check("backup.isolated", Severity.critical,
          "3-2-1-1-0: オフライン／改ざん不能なコピーがない", "3-2-1-1-0: no offline or immutable copy",
          "自動同期や仮想ドライブなどネットワークから見えるバックアップは、ランサムウェアに一緒に暗号化されます。"
          "旧世代がネットワークから見えない(非可視)ことが必要です。",
          "Backups visible from the network (sync folders, mapped drives) are encrypted along with the data; "
          "old generations must not be reachable.",
          "1 つのコピーをオフライン(切り離し)またはイミュータブル(WORM・オブジェクトロック)にしてください。",
          "Keep one copy offline (disconnected) or immutable (WORM, object lock).",
          NPA_2022),
    Check("backup.generations", Severity.high,
          "多世代のバックアップを保持していない", "Too few backup generations",
          "暗号化に気づくまでの間に作られた世代は汚染されています。警察庁は多世代の保存を推奨しています。",
          "Generations taken before the encryption was noticed are tainted; the NPA recommends many generations.",
          "世代数を増やし、古い世代をネットワークから見えない場所に保管してください。",
          "Keep more generations, with old ones out of the network's reach.",
          NPA_H1_2022),
    Check("backup.restore_tested", Severity.critical,
          "3-2-1-1-0: 復元テストで問題がないことを確認していない", "3-2-1-1-0: no error-free restore test",
          _RESTORE_JA + "復元できるかは試すまで分かりません。", _RESTORE_EN + " A backup is only known to work once restored.",
          "定期的に復元テストを行い、エラー 0 件を確認して日付を記録してください。",
          "Run restore tests regularly, confirm zero errors and record the date.",
          NPA_2022),
]  # fmt: skip

CHECKS: dict[str, Check] = {c.id: c for c in _ALL}

<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja">
  <context>
    <name>Controller</name>
    <message>
      <source>The migration engine is not available; see the log for why.</source>
      <translation>移行エンジンを利用できません。理由はログを確認してください。</translation>
    </message>
    <message>
      <source>The report could not be written to {path}: {why}.</source>
      <translation>レポートを {path} に書き込めませんでした: {why}。</translation>
    </message>
  </context>
  <context>
    <name>CrashHandler</name>
    <message>
      <source>Unexpected error</source>
      <translation>予期しないエラー</translation>
    </message>
    <message>
      <source>Something went wrong inside xtract-gui. Running migrations are not affected. The details are in the log ({path}); please send them with your report.</source>
      <translation>xtract-gui の内部で問題が発生しました。実行中の移行には影響しません。詳細はログ ({path}) にあります。報告の際に添付してください。</translation>
    </message>
  </context>
  <context>
    <name>EndpointForm</name>
    <message>
      <source>Address</source>
      <translation>アドレス</translation>
    </message>
    <message>
      <source>vcenter.example.local</source>
      <translation>vcenter.example.local</translation>
    </message>
    <message>
      <source>TCP port</source>
      <translation>TCP ポート</translation>
    </message>
    <message>
      <source>User</source>
      <translation>ユーザー</translation>
    </message>
    <message>
      <source>administrator@vsphere.local</source>
      <translation>administrator@vsphere.local</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>パスワード</translation>
    </message>
    <message>
      <source>Remember the password in the system keyring</source>
      <translation>パスワードをシステムのキーリングに保存する</translation>
    </message>
    <message>
      <source>Connect</source>
      <translation>接続</translation>
    </message>
    <message>
      <source>Do not trust</source>
      <translation>信頼しない</translation>
    </message>
    <message>
      <source>Trust and connect</source>
      <translation>信頼して接続</translation>
    </message>
  </context>
  <context>
    <name>EndpointPage</name>
    <message>
      <source>Reading the server certificate…</source>
      <translation>サーバー証明書を読み取っています…</translation>
    </message>
    <message>
      <source>First connection to {host}. Its certificate has this SHA-256 fingerprint:
{fp}
Compare it with the one your administrator shows (Certificate Management), then trust it. It will be pinned: a different certificate later stops the connection.</source>
      <translation>{host} への初回接続です。証明書の SHA-256 フィンガープリントは次のとおりです:
{fp}
管理者が示すもの (証明書の管理) と照合してから信頼してください。この証明書は固定され、以後別の証明書が提示されると接続を中止します。</translation>
    </message>
    <message>
      <source>Not connected: the certificate was not trusted.</source>
      <translation>未接続: 証明書は信頼されませんでした。</translation>
    </message>
    <message>
      <source>Connecting to {host}…</source>
      <translation>{host} に接続しています…</translation>
    </message>
    <message>
      <source>The password is kept for this session only: {why}</source>
      <translation>パスワードはこのセッションの間だけ保持されます: {why}</translation>
    </message>
    <message>
      <source>Connected: {about}, {n} VMs.</source>
      <translation>接続しました: {about}、VM {n} 台。</translation>
    </message>
  </context>
  <context>
    <name>GuestsPage</name>
    <message>
      <source>Access for the selected VMs</source>
      <translation>選択した VM へのアクセス</translation>
    </message>
    <message>
      <source>VMware Tools (no network path needed)</source>
      <translation>VMware Tools (ネットワーク経路は不要)</translation>
    </message>
    <message>
      <source>WinRM (HTTPS 5986)</source>
      <translation>WinRM (HTTPS 5986)</translation>
    </message>
    <message>
      <source>None: guest already prepared</source>
      <translation>なし: ゲストは準備済み</translation>
    </message>
    <message>
      <source>Administrator or root</source>
      <translation>Administrator または root</translation>
    </message>
    <message>
      <source>NTLM (domain or local account)</source>
      <translation>NTLM (ドメインまたはローカルアカウント)</translation>
    </message>
    <message>
      <source>Basic (local account, HTTPS only)</source>
      <translation>Basic (ローカルアカウント、HTTPS のみ)</translation>
    </message>
    <message>
      <source>Basic needs HTTPS and a local account, and must be enabled in the guest's WinRM service; NTLM works as Windows ships.</source>
      <translation>Basic には HTTPS とローカルアカウントが必要で、ゲストの WinRM サービスで有効にしておく必要があります。NTLM は Windows の既定のままで使えます。</translation>
    </message>
    <message>
      <source>Allow HTTP 5985 with NTLM encryption</source>
      <translation>NTLM 暗号化付きの HTTP 5985 を許可する</translation>
    </message>
    <message>
      <source>default: the IP VMware Tools reports</source>
      <translation>既定: VMware Tools が報告する IP</translation>
    </message>
    <message>
      <source>SHA-256 of the WinRM certificate (optional)</source>
      <translation>WinRM 証明書の SHA-256 (任意)</translation>
    </message>
    <message>
      <source>Apply to selected VMs</source>
      <translation>選択した VM に適用</translation>
    </message>
    <message>
      <source>Test</source>
      <translation>テスト</translation>
    </message>
    <message>
      <source>Passwords are kept in the system keyring only, never in the plan file.</source>
      <translation>パスワードはシステムのキーリングにのみ保存され、プランファイルには保存されません。</translation>
    </message>
    <message>
      <source>Channel</source>
      <translation>チャネル</translation>
    </message>
    <message>
      <source>Account</source>
      <translation>アカウント</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>パスワード</translation>
    </message>
    <message>
      <source>Authentication</source>
      <translation>認証方式</translation>
    </message>
    <message>
      <source>WinRM address</source>
      <translation>WinRM アドレス</translation>
    </message>
    <message>
      <source>Certificate</source>
      <translation>証明書</translation>
    </message>
    <message>
      <source>Guest credentials</source>
      <translation>ゲスト資格情報</translation>
    </message>
    <message>
      <source>How xtract-gui reaches inside each guest to install drivers and keep its IP settings.</source>
      <translation>ドライバーのインストールと IP 設定の維持のために、各ゲスト内部へどう接続するかを指定します。</translation>
    </message>
    <message>
      <source>not tested</source>
      <translation>未テスト</translation>
    </message>
    <message>
      <source>OK</source>
      <translation>OK</translation>
    </message>
    <message>
      <source>failed</source>
      <translation>失敗</translation>
    </message>
    <message>
      <source>none</source>
      <translation>なし</translation>
    </message>
    <message>
      <source>VM</source>
      <translation>VM</translation>
    </message>
    <message>
      <source>Guest OS</source>
      <translation>ゲスト OS</translation>
    </message>
  </context>
  <context>
    <name>JobMonitor</name>
    <message>
      <source>Test</source>
      <translation>テスト</translation>
    </message>
    <message>
      <source>Cut over…</source>
      <translation>カットオーバー…</translation>
    </message>
    <message>
      <source>Pause</source>
      <translation>一時停止</translation>
    </message>
    <message>
      <source>Resume</source>
      <translation>再開</translation>
    </message>
    <message>
      <source>Cancel…</source>
      <translation>キャンセル…</translation>
    </message>
    <message>
      <source>Retry</source>
      <translation>再試行</translation>
    </message>
    <message>
      <source> Mbit/s</source>
      <translation> Mbit/s</translation>
    </message>
    <message>
      <source>No limit</source>
      <translation>無制限</translation>
    </message>
    <message>
      <source>Bandwidth limit for all copies, applied at once</source>
      <translation>すべてのコピーに即時適用される帯域幅の上限</translation>
    </message>
    <message>
      <source>Bandwidth</source>
      <translation>帯域幅</translation>
    </message>
    <message>
      <source>Export report…</source>
      <translation>レポートを出力…</translation>
    </message>
    <message>
      <source>Select a VM to see its tasks and log.</source>
      <translation>VM を選択するとタスクとログが表示されます。</translation>
    </message>
    <message>
      <source>Tasks</source>
      <translation>タスク</translation>
    </message>
    <message>
      <source>Log</source>
      <translation>ログ</translation>
    </message>
    <message>
      <source>Remove test VM</source>
      <translation>テスト VM を削除</translation>
    </message>
    <message>
      <source>Cut over</source>
      <translation>カットオーバー</translation>
    </message>
    <message>
      <source>Cut over {n} VM(s): {names}?</source>
      <translation>{n} 台の VM をカットオーバーしますか: {names}</translation>
    </message>
    <message>
      <source>For each VM:
1. the guest is shut down (downtime starts);
2. a final delta sync copies the last changes;
3. the VM is created on AHV and powered on;
4. the source VM stays off and its NICs are disconnected so it cannot come back with the same IP.
A failure before the AHV VM boots rolls back and powers the source on again.</source>
      <translation>各 VM について:
1. ゲストをシャットダウンします (ここからダウンタイム)。
2. 最終差分同期で最後の変更をコピーします。
3. AHV 上に VM を作成して電源を入れます。
4. 移行元 VM は停止したままにし、同じ IP で復帰しないよう NIC を切断します。
AHV の VM が起動する前に失敗した場合はロールバックし、移行元の電源を再び入れます。</translation>
    </message>
    <message>
      <source>Cancel migration</source>
      <translation>移行をキャンセル</translation>
    </message>
    <message>
      <source>Cancel the migration of {names}?</source>
      <translation>{names} の移行をキャンセルしますか?</translation>
    </message>
    <message>
      <source>Snapshots and partial disks on the target are removed. The source VMs keep running unchanged.</source>
      <translation>スナップショットとターゲット上の作成途中のディスクは削除されます。移行元 VM はそのまま稼働を続けます。</translation>
    </message>
    <message>
      <source>Also undo the guest preparation (remove the first-boot task and the saved network settings, restore the SAN policy)</source>
      <translation>ゲスト準備も元に戻す (初回起動タスクと保存したネットワーク設定を削除し、SAN ポリシーを復元)</translation>
    </message>
    <message>
      <source>Keep going</source>
      <translation>続行する</translation>
    </message>
    <message>
      <source>Not now</source>
      <translation>今はしない</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>&amp;File</source>
      <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
      <source>New migration (wizard)</source>
      <translation>新しい移行 (ウィザード)</translation>
    </message>
    <message>
      <source>Job monitor</source>
      <translation>ジョブモニター</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>終了</translation>
    </message>
    <message>
      <source>&amp;Language</source>
      <translation>言語(&amp;L)</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
      <source>About xtract-gui</source>
      <translation>xtract-gui について</translation>
    </message>
    <message>
      <source>Dismiss</source>
      <translation>閉じる</translation>
    </message>
    <message>
      <source>xtract-gui could not start its engine: {why}</source>
      <translation>xtract-gui はエンジンを起動できませんでした: {why}</translation>
    </message>
    <message>
      <source>Starting the demo lab…</source>
      <translation>デモラボを起動しています…</translation>
    </message>
    <message>
      <source>Demo lab running: the fields are pre-filled; press Connect.</source>
      <translation>デモラボ稼働中: 入力欄は入力済みです。「接続」を押してください。</translation>
    </message>
    <message>
      <source>Guest passwords are kept for this session only: {why}</source>
      <translation>ゲストのパスワードはこのセッションの間だけ保持されます: {why}</translation>
    </message>
    <message>
      <source>Migration started.</source>
      <translation>移行を開始しました。</translation>
    </message>
    <message>
      <source>Export report</source>
      <translation>レポートを出力</translation>
    </message>
    <message>
      <source>HTML report (*.html)</source>
      <translation>HTML レポート (*.html)</translation>
    </message>
    <message>
      <source>Report saved to {path}.</source>
      <translation>レポートを {path} に保存しました。</translation>
    </message>
    <message>
      <source>Bandwidth limit: {v}</source>
      <translation>帯域幅の上限: {v}</translation>
    </message>
    <message>
      <source>none</source>
      <translation>なし</translation>
    </message>
    <message>
      <source>xtract-gui {version}
Migrates running VMware vSphere VMs to Nutanix AHV with minimal downtime.</source>
      <translation>xtract-gui {version}
稼働中の VMware vSphere VM を最小限のダウンタイムで Nutanix AHV へ移行します。</translation>
    </message>
    <message>
      <source>Migrations are running</source>
      <translation>移行を実行中です</translation>
    </message>
    <message>
      <source>{n} migration(s) are still running. They cannot continue without this window.</source>
      <translation>{n} 件の移行が実行中です。このウィンドウを閉じると続行できません。</translation>
    </message>
    <message>
      <source>Pause them (they continue from where they are when you reopen xtract-gui), cancel them (snapshots and partial disks are cleaned up), or stay.</source>
      <translation>一時停止する (xtract-gui を再び開くと途中から再開します)、キャンセルする (スナップショットと作成途中のディスクは削除されます)、またはこのまま残るかを選んでください。</translation>
    </message>
    <message>
      <source>Pause all and quit</source>
      <translation>すべて一時停止して終了</translation>
    </message>
    <message>
      <source>Cancel all and quit</source>
      <translation>すべてキャンセルして終了</translation>
    </message>
    <message>
      <source>Stay</source>
      <translation>終了しない</translation>
    </message>
  </context>
  <context>
    <name>NetworkPage</name>
    <message>
      <source>Port group → AHV subnet</source>
      <translation>ポートグループ → AHV サブネット</translation>
    </message>
    <message>
      <source>Addresses</source>
      <translation>アドレス</translation>
    </message>
    <message>
      <source>Keep MAC addresses</source>
      <translation>MAC アドレスを維持する</translation>
    </message>
    <message>
      <source>The AHV NICs get the source MACs: DHCP reservations and licences tied to a MAC keep working. The source NICs are disconnected at cutover so the two never meet.</source>
      <translation>AHV の NIC に移行元の MAC を割り当てます。MAC に結び付いた DHCP 予約やライセンスはそのまま使えます。移行元の NIC はカットオーバー時に切断されるため、両者が同時に現れることはありません。</translation>
    </message>
    <message>
      <source>Keep IP addresses</source>
      <translation>IP アドレスを維持する</translation>
    </message>
    <message>
      <source>Static IP settings are captured in the guest and restored at first boot on AHV, matched by MAC. Needs guest access; with more than one NIC it needs 'Keep MAC addresses'.</source>
      <translation>静的 IP 設定をゲスト内で取得し、AHV での初回起動時に MAC で対応付けて復元します。ゲストへのアクセスが必要です。NIC が複数ある場合は「MAC アドレスを維持する」が必要です。</translation>
    </message>
    <message>
      <source>Test subnet (isolated)</source>
      <translation>テスト用サブネット (隔離)</translation>
    </message>
    <message>
      <source>Syncs and cutover</source>
      <translation>同期とカットオーバー</translation>
    </message>
    <message>
      <source> min</source>
      <translation> 分</translation>
    </message>
    <message>
      <source> Mbit/s</source>
      <translation> Mbit/s</translation>
    </message>
    <message>
      <source>Guest shutdown only (cutover stops if the guest does not stop)</source>
      <translation>ゲストのシャットダウンのみ (ゲストが停止しなければカットオーバーを中止)</translation>
    </message>
    <message>
      <source>Guest shutdown, then power off after the timeout</source>
      <translation>ゲストのシャットダウン、タイムアウト後に電源オフ</translation>
    </message>
    <message>
      <source> s</source>
      <translation> 秒</translation>
    </message>
    <message>
      <source>Cut over automatically inside a window</source>
      <translation>時間枠内で自動的にカットオーバーする</translation>
    </message>
    <message>
      <source>Sync interval</source>
      <translation>同期間隔</translation>
    </message>
    <message>
      <source>Bandwidth limit (0: none)</source>
      <translation>帯域幅の上限 (0: なし)</translation>
    </message>
    <message>
      <source>Shutdown</source>
      <translation>シャットダウン</translation>
    </message>
    <message>
      <source>Shutdown timeout</source>
      <translation>シャットダウンのタイムアウト</translation>
    </message>
    <message>
      <source>Cutover window</source>
      <translation>カットオーバーの時間枠</translation>
    </message>
    <message>
      <source>Downtime budget</source>
      <translation>許容ダウンタイム</translation>
    </message>
    <message>
      <source>After cutover</source>
      <translation>カットオーバー後</translation>
    </message>
    <message>
      <source>Clean up the guest on AHV (a snapshot is taken first)</source>
      <translation>AHV 上でゲストをクリーンアップする (先にスナップショットを取得)</translation>
    </message>
    <message>
      <source>Uninstall VMware Tools</source>
      <translation>VMware Tools をアンインストールする</translation>
    </message>
    <message>
      <source>Remove non-present (ghost) devices</source>
      <translation>存在しない (ゴースト) デバイスを削除する</translation>
    </message>
    <message>
      <source>Network mapping and options</source>
      <translation>ネットワークマッピングとオプション</translation>
    </message>
    <message>
      <source>Where each NIC lands on AHV, and how syncs and the cutover behave.</source>
      <translation>各 NIC の AHV 上の接続先と、同期およびカットオーバーの動作を指定します。</translation>
    </message>
    <message>
      <source>Network and options</source>
      <translation>ネットワークとオプション</translation>
    </message>
    <message>
      <source>Choose a subnet…</source>
      <translation>サブネットを選択…</translation>
    </message>
    <message>
      <source>The selected VMs have no NICs.</source>
      <translation>選択した VM には NIC がありません。</translation>
    </message>
    <message>
      <source>None (no test migrations)</source>
      <translation>なし (テスト移行を行わない)</translation>
    </message>
  </context>
  <context>
    <name>SourcePage</name>
    <message>
      <source>Source vCenter</source>
      <translation>移行元 vCenter</translation>
    </message>
    <message>
      <source>The vCenter Server that runs the VMs to migrate.</source>
      <translation>移行する VM が稼働している vCenter Server です。</translation>
    </message>
  </context>
  <context>
    <name>SummaryPage</name>
    <message>
      <source>Plan name</source>
      <translation>プラン名</translation>
    </message>
    <message>
      <source>Save plan…</source>
      <translation>プランを保存…</translation>
    </message>
    <message>
      <source>Load plan…</source>
      <translation>プランを読み込む…</translation>
    </message>
    <message>
      <source>Start migration</source>
      <translation>移行を開始</translation>
    </message>
    <message>
      <source>Summary</source>
      <translation>概要</translation>
    </message>
    <message>
      <source>Check the plan, save it if you like, then start. Cutover waits for your go.</source>
      <translation>プランを確認し、必要なら保存してから開始してください。カットオーバーは指示があるまで待機します。</translation>
    </message>
    <message>
      <source>Readiness: no blockers.</source>
      <translation>準備状況: ブロッカーはありません。</translation>
    </message>
    <message>
      <source>Save plan</source>
      <translation>プランを保存</translation>
    </message>
    <message>
      <source>Load plan</source>
      <translation>プランを読み込む</translation>
    </message>
    <message>
      <source>Plan files (*.json)</source>
      <translation>プランファイル (*.json)</translation>
    </message>
    <message>
      <source>The plan could not be saved to {path}: {why}. Choose another folder.</source>
      <translation>プランを {path} に保存できませんでした: {why}。別のフォルダーを選んでください。</translation>
    </message>
    <message>
      <source>Saved to {path}.</source>
      <translation>{path} に保存しました。</translation>
    </message>
    <message>
      <source>The plan file {path} cannot be read: {why}.</source>
      <translation>プランファイル {path} を読み込めません: {why}。</translation>
    </message>
    <message>
      <source>{path} is not a usable plan: {why}</source>
      <translation>{path} は使用できるプランではありません: {why}</translation>
    </message>
  </context>
  <context>
    <name>TargetPage</name>
    <message>
      <source>Warm: seed and delta syncs over NFS, short cutover (recommended)</source>
      <translation>ウォーム: NFS でシードと差分同期、短いカットオーバー (推奨)</translation>
    </message>
    <message>
      <source>Cold: shut down, then stream over HTTPS only</source>
      <translation>コールド: シャットダウン後に HTTPS のみで転送</translation>
    </message>
    <message>
      <source>Prism</source>
      <translation>Prism</translation>
    </message>
    <message>
      <source>AHV cluster</source>
      <translation>AHV クラスター</translation>
    </message>
    <message>
      <source>Storage container</source>
      <translation>ストレージコンテナー</translation>
    </message>
    <message>
      <source>Transfer mode</source>
      <translation>転送モード</translation>
    </message>
    <message>
      <source>Target Prism</source>
      <translation>移行先 Prism</translation>
    </message>
    <message>
      <source>Prism Element or Prism Central of the AHV cluster that receives the VMs.</source>
      <translation>VM を受け入れる AHV クラスターの Prism Element または Prism Central です。</translation>
    </message>
    <message>
      <source>Prism Element {address} presents a certificate with this SHA-256 fingerprint:
{fp}
Prism Central reads the storage containers and NFS whitelist of cluster {cluster} from it. Compare the fingerprint with the one that cluster's administrator shows, then trust it; it is pinned like Prism Central's.</source>
      <translation>Prism Element {address} の証明書の SHA-256 フィンガープリントは次のとおりです:
{fp}
Prism Central はクラスター {cluster} のストレージコンテナーと NFS ホワイトリストをこの Prism Element から読み取ります。クラスターの管理者が示すフィンガープリントと照合してから信頼してください。Prism Central の証明書と同様に固定されます。</translation>
    </message>
    <message>
      <source>Connected.</source>
      <translation>接続しました。</translation>
    </message>
    <message>
      <source>Prism Element</source>
      <translation>Prism Element</translation>
    </message>
    <message>
      <source>Prism Central</source>
      <translation>Prism Central</translation>
    </message>
    <message>
      <source>not connected</source>
      <translation>未接続</translation>
    </message>
    <message>
      <source>Choose a cluster…</source>
      <translation>クラスターを選択…</translation>
    </message>
    <message>
      <source>Choose a container…</source>
      <translation>コンテナーを選択…</translation>
    </message>
    <message>
      <source>{name} — {free} free of {cap}</source>
      <translation>{name} — 空き {free} / {cap}</translation>
    </message>
    <message>
      <source>Checking that the transfer mode is reachable…</source>
      <translation>転送モードで到達できるか確認しています…</translation>
    </message>
    <message>
      <source>Reachable from this computer.</source>
      <translation>このコンピューターから到達できます。</translation>
    </message>
  </context>
  <context>
    <name>ThroughputPlot</name>
    <message>
      <source>No transfer yet</source>
      <translation>まだ転送はありません</translation>
    </message>
    <message>
      <source>now {rate}/s</source>
      <translation>現在 {rate}/s</translation>
    </message>
    <message>
      <source>peak {rate}/s</source>
      <translation>ピーク {rate}/s</translation>
    </message>
  </context>
  <context>
    <name>VmsPage</name>
    <message>
      <source>Search name, guest OS, folder, network, IP…</source>
      <translation>名前、ゲスト OS、フォルダー、ネットワーク、IP で検索…</translation>
    </message>
    <message>
      <source>Any power state</source>
      <translation>すべての電源状態</translation>
    </message>
    <message>
      <source>Powered on</source>
      <translation>電源オン</translation>
    </message>
    <message>
      <source>Powered off</source>
      <translation>電源オフ</translation>
    </message>
    <message>
      <source>Select shown</source>
      <translation>表示中を選択</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>クリア</translation>
    </message>
    <message>
      <source>VM selection</source>
      <translation>VM の選択</translation>
    </message>
    <message>
      <source>Tick the VMs to migrate. Readiness is checked as you tick; hover a finding for the fix.</source>
      <translation>移行する VM にチェックを付けてください。チェックと同時に準備状況を確認します。指摘にカーソルを合わせると対処方法が表示されます。</translation>
    </message>
    <message>
      <source>All folders and clusters</source>
      <translation>すべてのフォルダーとクラスター</translation>
    </message>
    <message>
      <source>Cluster {name}</source>
      <translation>クラスター {name}</translation>
    </message>
    <message>
      <source>Folder {name}</source>
      <translation>フォルダー {name}</translation>
    </message>
    <message>
      <source>{n} of {total} VMs selected · {disks} disks · {size} provisioned</source>
      <translation>{total} 台中 {n} 台を選択 · ディスク {disks} 個 · プロビジョニング済み {size}</translation>
    </message>
  </context>
  <context>
    <name>WizardWidget</name>
    <message>
      <source>Back</source>
      <translation>戻る</translation>
    </message>
    <message>
      <source>Next</source>
      <translation>次へ</translation>
    </message>
  </context>
  <context>
    <name>flow</name>
    <message>
      <source>After cutover: snapshot the AHV VM, then remove VMware Tools and ghost devices.</source>
      <translation>カットオーバー後: AHV の VM のスナップショットを取得してから、VMware Tools とゴーストデバイスを削除します。</translation>
    </message>
    <message>
      <source>At cutover the guest is shut down, and powered off if it has not stopped after {s} s.</source>
      <translation>カットオーバー時にゲストをシャットダウンし、{s} 秒たっても停止しなければ電源をオフにします。</translation>
    </message>
    <message>
      <source>At cutover the guest is shut down; if it does not stop, that cutover stops.</source>
      <translation>カットオーバー時にゲストをシャットダウンします。停止しない場合、その VM のカットオーバーは中止されます。</translation>
    </message>
    <message>
      <source>Automatic cutover between {a} and {b} if the projected downtime is under {s} s.</source>
      <translation>予想ダウンタイムが {s} 秒未満なら {a} から {b} の間に自動でカットオーバーします。</translation>
    </message>
    <message>
      <source>Bandwidth limit: {v} Mbit/s</source>
      <translation>帯域幅の上限: {v} Mbit/s</translation>
    </message>
    <message>
      <source>Checking whether the transfer mode is reachable…</source>
      <translation>転送モードで到達できるか確認しています…</translation>
    </message>
    <message>
      <source>Choose the AHV cluster to migrate to.</source>
      <translation>移行先の AHV クラスターを選んでください。</translation>
    </message>
    <message>
      <source>Choose the AHV subnet for port group {pg}.</source>
      <translation>ポートグループ {pg} の AHV サブネットを選んでください。</translation>
    </message>
    <message>
      <source>Choose the storage container for the disks.</source>
      <translation>ディスクを置くストレージコンテナーを選んでください。</translation>
    </message>
    <message>
      <source>Cutover: when you press Cutover in the job monitor.</source>
      <translation>カットオーバー: ジョブモニターで「カットオーバー」を押したとき。</translation>
    </message>
    <message>
      <source>Enter only the host name or IP, without http:// or a path.</source>
      <translation>http:// やパスを付けず、ホスト名または IP だけを入力してください。</translation>
    </message>
    <message>
      <source>Enter the cutover window as HH:MM, for example 22:30.</source>
      <translation>カットオーバーの時間枠は HH:MM 形式 (例: 22:30) で入力してください。</translation>
    </message>
    <message>
      <source>Enter the lab folder.</source>
      <translation>ラボのフォルダーを入力してください。</translation>
    </message>
    <message>
      <source>Enter the password.</source>
      <translation>パスワードを入力してください。</translation>
    </message>
    <message>
      <source>Enter the user name.</source>
      <translation>ユーザー名を入力してください。</translation>
    </message>
    <message>
      <source>Enter the {what} address (host name or IP).</source>
      <translation>{what} のアドレス (ホスト名または IP) を入力してください。</translation>
    </message>
    <message>
      <source>IP settings are not carried over; set them on AHV.</source>
      <translation>IP 設定は引き継ぎません。AHV 上で設定してください。</translation>
    </message>
    <message>
      <source>IP settings are restored inside each guest at its first boot on AHV.</source>
      <translation>IP 設定は AHV での初回起動時に各ゲスト内で復元されます。</translation>
    </message>
    <message>
      <source>Migrate {n} VM(s) from vCenter {src} to Prism {tgt}.</source>
      <translation>vCenter {src} から Prism {tgt} へ VM {n} 台を移行します。</translation>
    </message>
    <message>
      <source>No bandwidth limit.</source>
      <translation>帯域幅の上限なし。</translation>
    </message>
    <message>
      <source>Port group {pg} → subnet {subnet}</source>
      <translation>ポートグループ {pg} → サブネット {subnet}</translation>
    </message>
    <message>
      <source>Press Connect to check the address and the account.</source>
      <translation>「接続」を押してアドレスとアカウントを確認してください。</translation>
    </message>
    <message>
      <source>Readiness of {name} is still being checked.</source>
      <translation>{name} の準備状況を確認中です。</translation>
    </message>
    <message>
      <source>Select at least one VM to migrate.</source>
      <translation>移行する VM を 1 台以上選んでください。</translation>
    </message>
    <message>
      <source>The AHV VMs get new MAC addresses.</source>
      <translation>AHV の VM には新しい MAC アドレスが割り当てられます。</translation>
    </message>
    <message>
      <source>The AHV VMs keep the source MAC addresses.</source>
      <translation>AHV の VM は移行元の MAC アドレスを引き継ぎます。</translation>
    </message>
    <message>
      <source>The bandwidth limit cannot be negative (0 means no limit).</source>
      <translation>帯域幅の上限に負の値は指定できません (0 は無制限)。</translation>
    </message>
    <message>
      <source>The chosen transfer mode is not reachable.</source>
      <translation>選択した転送モードでは到達できません。</translation>
    </message>
    <message>
      <source>The container has {free} free but the selected VMs need {need}.</source>
      <translation>コンテナーの空きは {free} ですが、選択した VM には {need} 必要です。</translation>
    </message>
    <message>
      <source>The downtime budget must be at least 1 second.</source>
      <translation>許容ダウンタイムは 1 秒以上にしてください。</translation>
    </message>
    <message>
      <source>The inventory has not been read yet; press Connect.</source>
      <translation>インベントリをまだ読み込んでいません。「接続」を押してください。</translation>
    </message>
    <message>
      <source>The port must be between 1 and 65535.</source>
      <translation>ポートは 1～65535 の範囲で指定してください。</translation>
    </message>
    <message>
      <source>The subnet mapped to {pg} no longer exists on the cluster.</source>
      <translation>{pg} に割り当てたサブネットはクラスター上にもう存在しません。</translation>
    </message>
    <message>
      <source>The sync interval must be at least 1 minute.</source>
      <translation>同期間隔は 1 分以上にしてください。</translation>
    </message>
    <message>
      <source>The test subnet must be isolated: choose one that no port group maps to.</source>
      <translation>テスト用サブネットは隔離されている必要があります。どのポートグループにも割り当てていないものを選んでください。</translation>
    </message>
    <message>
      <source>Transfer mode: cold (each VM is shut down, then its disks are streamed over HTTPS)</source>
      <translation>転送モード: コールド (各 VM をシャットダウンしてから、ディスクを HTTPS で転送)</translation>
    </message>
    <message>
      <source>Transfer mode: warm (seed, then a delta sync every {m} minutes, short cutover)</source>
      <translation>転送モード: ウォーム (シード後 {m} 分ごとに差分同期、短いカットオーバー)</translation>
    </message>
    <message>
      <source>VM {name} → {target} (guest access: {channel}, account {user})</source>
      <translation>VM {name} → {target} (ゲストアクセス: {channel}、アカウント {user})</translation>
    </message>
    <message>
      <source>VM {name} → {target} (no guest preparation)</source>
      <translation>VM {name} → {target} (ゲスト準備なし)</translation>
    </message>
    <message>
      <source>{name} cannot be migrated: {reason}</source>
      <translation>{name} は移行できません: {reason}</translation>
    </message>
    <message>
      <source>{name}: Basic authentication needs WinRM over HTTPS; use NTLM.</source>
      <translation>{name}: Basic 認証には HTTPS 経由の WinRM が必要です。NTLM を使用してください。</translation>
    </message>
    <message>
      <source>{name}: enter the guest account.</source>
      <translation>{name}: ゲストのアカウントを入力してください。</translation>
    </message>
    <message>
      <source>{name}: enter the guest password.</source>
      <translation>{name}: ゲストのパスワードを入力してください。</translation>
    </message>
    <message>
      <source>{name}: the account test failed: {reason}</source>
      <translation>{name}: アカウントのテストに失敗しました: {reason}</translation>
    </message>
  </context>
  <context>
    <name>InventoryModel</name>
    <message>
      <source>Name</source>
      <translation>名前</translation>
    </message>
    <message>
      <source>Readiness</source>
      <translation>準備状況</translation>
    </message>
    <message>
      <source>Power</source>
      <translation>電源</translation>
    </message>
    <message>
      <source>Guest OS</source>
      <translation>ゲスト OS</translation>
    </message>
    <message>
      <source>Folder</source>
      <translation>フォルダー</translation>
    </message>
    <message>
      <source>Cluster</source>
      <translation>クラスター</translation>
    </message>
    <message>
      <source>Disks</source>
      <translation>ディスク</translation>
    </message>
    <message>
      <source>Size</source>
      <translation>サイズ</translation>
    </message>
    <message>
      <source>NICs</source>
      <translation>NIC</translation>
    </message>
    <message>
      <source>checking…</source>
      <translation>確認中…</translation>
    </message>
    <message>
      <source>blocked</source>
      <translation>ブロック</translation>
    </message>
    <message>
      <source>warnings</source>
      <translation>警告あり</translation>
    </message>
    <message>
      <source>ready</source>
      <translation>準備完了</translation>
    </message>
    <message>
      <source>on</source>
      <translation>オン</translation>
    </message>
    <message>
      <source>off</source>
      <translation>オフ</translation>
    </message>
    <message>
      <source>suspended</source>
      <translation>サスペンド</translation>
    </message>
  </context>
  <context>
    <name>JobsModel</name>
    <message>
      <source>VM</source>
      <translation>VM</translation>
    </message>
    <message>
      <source>Phase</source>
      <translation>フェーズ</translation>
    </message>
    <message>
      <source>Progress</source>
      <translation>進捗</translation>
    </message>
    <message>
      <source>Rate</source>
      <translation>速度</translation>
    </message>
    <message>
      <source>ETA</source>
      <translation>残り時間</translation>
    </message>
    <message>
      <source>Last sync</source>
      <translation>最終同期</translation>
    </message>
    <message>
      <source>Delta</source>
      <translation>差分</translation>
    </message>
    <message>
      <source>Projected downtime</source>
      <translation>予想ダウンタイム</translation>
    </message>
    <message>
      <source>Pending</source>
      <translation>待機中</translation>
    </message>
    <message>
      <source>Validating</source>
      <translation>検証中</translation>
    </message>
    <message>
      <source>Preparing guest</source>
      <translation>ゲスト準備中</translation>
    </message>
    <message>
      <source>Seeding</source>
      <translation>シード中</translation>
    </message>
    <message>
      <source>Syncing</source>
      <translation>同期中</translation>
    </message>
    <message>
      <source>Cutting over</source>
      <translation>カットオーバー中</translation>
    </message>
    <message>
      <source>Post tasks</source>
      <translation>事後タスク</translation>
    </message>
    <message>
      <source>Done</source>
      <translation>完了</translation>
    </message>
    <message>
      <source>Paused</source>
      <translation>一時停止</translation>
    </message>
    <message>
      <source>Failed</source>
      <translation>失敗</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>キャンセル済み</translation>
    </message>
    <message>
      <source>Rolled back</source>
      <translation>ロールバック済み</translation>
    </message>
    <message>
      <source>Ready for cutover</source>
      <translation>カットオーバー可能</translation>
    </message>
    <message>
      <source>{time} (measured)</source>
      <translation>{time} (実測)</translation>
    </message>
  </context>
  <context>
    <name>StepsModel</name>
    <message>
      <source>Task</source>
      <translation>タスク</translation>
    </message>
    <message>
      <source>Time</source>
      <translation>時刻</translation>
    </message>
    <message>
      <source>Message</source>
      <translation>メッセージ</translation>
    </message>
  </context>
  <context>
    <name>steps</name>
    <message>
      <source>Adding VirtIO drivers to the initramfs</source>
      <translation>initramfs に VirtIO ドライバーを追加</translation>
    </message>
    <message>
      <source>Adding sha1 certificate</source>
      <translation>SHA1 証明書を追加</translation>
    </message>
    <message>
      <source>Adding sha2 certificate</source>
      <translation>SHA2 証明書を追加</translation>
    </message>
    <message>
      <source>Checking Windows Installer version</source>
      <translation>Windows Installer のバージョンを確認</translation>
    </message>
    <message>
      <source>Checking admin permissions</source>
      <translation>管理者権限を確認</translation>
    </message>
    <message>
      <source>Checking readiness</source>
      <translation>準備状況を確認</translation>
    </message>
    <message>
      <source>Checking retained IP addresses</source>
      <translation>維持した IP アドレスを確認</translation>
    </message>
    <message>
      <source>Checking root permissions</source>
      <translation>root 権限を確認</translation>
    </message>
    <message>
      <source>Checking the network on first boot</source>
      <translation>初回起動時のネットワークを確認</translation>
    </message>
    <message>
      <source>Cleaning up</source>
      <translation>クリーンアップ</translation>
    </message>
    <message>
      <source>Copying disks</source>
      <translation>ディスクをコピー</translation>
    </message>
    <message>
      <source>Creating VM on AHV</source>
      <translation>AHV に VM を作成</translation>
    </message>
    <message>
      <source>Creating the test VM</source>
      <translation>テスト VM を作成</translation>
    </message>
    <message>
      <source>Disconnecting the source NICs</source>
      <translation>移行元の NIC を切断</translation>
    </message>
    <message>
      <source>Final sync</source>
      <translation>最終同期</translation>
    </message>
    <message>
      <source>Installing VirtIO drivers</source>
      <translation>VirtIO ドライバーをインストール</translation>
    </message>
    <message>
      <source>Installing the first-boot task</source>
      <translation>初回起動タスクをインストール</translation>
    </message>
    <message>
      <source>Keeping staging images</source>
      <translation>ステージングイメージを保持</translation>
    </message>
    <message>
      <source>Loading user profile</source>
      <translation>ユーザープロファイルを読み込み</translation>
    </message>
    <message>
      <source>Mounting file systems by UUID</source>
      <translation>UUID でファイルシステムをマウント</translation>
    </message>
    <message>
      <source>Powering on</source>
      <translation>電源オン</translation>
    </message>
    <message>
      <source>Preparing the guest</source>
      <translation>ゲストを準備</translation>
    </message>
    <message>
      <source>Reading the first-boot result</source>
      <translation>初回起動の結果を読み取り</translation>
    </message>
    <message>
      <source>Recording Windows license status</source>
      <translation>Windows のライセンス状態を記録</translation>
    </message>
    <message>
      <source>Removing VMware Tools</source>
      <translation>VMware Tools を削除</translation>
    </message>
    <message>
      <source>Removing non-present devices</source>
      <translation>存在しないデバイスを削除</translation>
    </message>
    <message>
      <source>Removing staging files</source>
      <translation>ステージングファイルを削除</translation>
    </message>
    <message>
      <source>Removing staging images</source>
      <translation>ステージングイメージを削除</translation>
    </message>
    <message>
      <source>Removing the NFS whitelist entry</source>
      <translation>NFS ホワイトリストのエントリを削除</translation>
    </message>
    <message>
      <source>Removing the safety snapshot</source>
      <translation>安全用スナップショットを削除</translation>
    </message>
    <message>
      <source>Removing the test VM</source>
      <translation>テスト VM を削除</translation>
    </message>
    <message>
      <source>Restoring the network on first boot</source>
      <translation>初回起動時にネットワークを復元</translation>
    </message>
    <message>
      <source>Retaining IP addresses</source>
      <translation>IP アドレスを維持</translation>
    </message>
    <message>
      <source>Reverting guest preparation</source>
      <translation>ゲスト準備を元に戻す</translation>
    </message>
    <message>
      <source>Rolling back</source>
      <translation>ロールバック</translation>
    </message>
    <message>
      <source>Seed</source>
      <translation>シード</translation>
    </message>
    <message>
      <source>Setting SAN policy to OnlineAll</source>
      <translation>SAN ポリシーを OnlineAll に設定</translation>
    </message>
    <message>
      <source>Shutting down source</source>
      <translation>移行元をシャットダウン</translation>
    </message>
    <message>
      <source>Sync {n}</source>
      <translation>同期 {n}</translation>
    </message>
    <message>
      <source>Taking a safety snapshot</source>
      <translation>安全用スナップショットを取得</translation>
    </message>
    <message>
      <source>Taking an AHV snapshot</source>
      <translation>AHV のスナップショットを取得</translation>
    </message>
    <message>
      <source>Undoing guest preparation</source>
      <translation>ゲスト準備を取り消し</translation>
    </message>
    <message>
      <source>Uninstalling VMware Tools</source>
      <translation>VMware Tools をアンインストール</translation>
    </message>
    <message>
      <source>Uploading the driver package</source>
      <translation>ドライバーパッケージをアップロード</translation>
    </message>
    <message>
      <source>Waiting for guest</source>
      <translation>ゲストを待機</translation>
    </message>
  </context>
  <context>
    <name>units</name>
    <message>
      <source>{s} s</source>
      <translation>{s} 秒</translation>
    </message>
    <message>
      <source>{m} min {s:02d} s</source>
      <translation>{m} 分 {s:02d} 秒</translation>
    </message>
    <message>
      <source>{h} h {m:02d} min</source>
      <translation>{h} 時間 {m:02d} 分</translation>
    </message>
  </context>
</TS>
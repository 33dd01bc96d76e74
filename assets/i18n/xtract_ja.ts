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
      <source>&amp;Connect</source>
      <translation>接続(&amp;C)</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>キャンセル</translation>
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
      <source>Cancelled; nothing was connected.</source>
      <translation>キャンセルしました。何も接続されていません。</translation>
    </message>
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
    <name>GuestForm</name>
    <message>
      <source>Access for the selected VMs</source>
      <translation>選択した VM へのアクセス</translation>
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
      <source>Address</source>
      <translation>アドレス</translation>
    </message>
    <message>
      <source>Certificate</source>
      <translation>証明書</translation>
    </message>
    <message>
      <source>SSH port</source>
      <translation>SSH ポート</translation>
    </message>
    <message>
      <source>Private key</source>
      <translation>秘密鍵</translation>
    </message>
    <message>
      <source>Host key</source>
      <translation>ホストキー</translation>
    </message>
    <message>
      <source>Administrator or root</source>
      <translation>Administrator または root</translation>
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
      <source>Key file…</source>
      <translation>鍵ファイル…</translation>
    </message>
    <message>
      <source>No key</source>
      <translation>鍵なし</translation>
    </message>
    <message>
      <source>Apply to selected VMs</source>
      <translation>選択した VM に適用</translation>
    </message>
    <message>
      <source>Test selected VMs</source>
      <translation>選択した VM をテスト</translation>
    </message>
    <message>
      <source>Passwords and keys are kept in the system keyring only, never in the plan file.</source>
      <translation>パスワードと鍵はシステムのキーリングにのみ保存され、プランファイルには書き込まれません。</translation>
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
      <source>WinRM (Windows, HTTPS 5986)</source>
      <translation>WinRM (Windows、HTTPS 5986)</translation>
    </message>
    <message>
      <source>SSH (Linux)</source>
      <translation>SSH (Linux)</translation>
    </message>
    <message>
      <source>VMware Tools (no network path needed)</source>
      <translation>VMware Tools (ネットワーク経路は不要)</translation>
    </message>
    <message>
      <source>None: guest already prepared</source>
      <translation>なし: ゲストは準備済み</translation>
    </message>
    <message>
      <source>a key is set (the password, if any, unlocks it)</source>
      <translation>鍵が設定済み (パスワードがあれば鍵のロック解除に使用)</translation>
    </message>
    <message>
      <source>none: log in with the password</source>
      <translation>なし: パスワードでログイン</translation>
    </message>
    <message>
      <source>not pinned yet: Test shows it</source>
      <translation>未固定: 「テスト」で表示されます</translation>
    </message>
    <message>
      <source>unlocks the key, and answers sudo</source>
      <translation>鍵のロック解除と sudo に使用</translation>
    </message>
    <message>
      <source>Private key for SSH</source>
      <translation>SSH の秘密鍵</translation>
    </message>
    <message>
      <source>The key file {path} cannot be read: {why}</source>
      <translation>鍵ファイル {path} を読み込めません: {why}</translation>
    </message>
  </context>
  <context>
    <name>GuestsPage</name>
    <message>
      <source>Trust this key</source>
      <translation>このキーを信頼</translation>
    </message>
    <message>
      <source>Do not trust</source>
      <translation>信頼しない</translation>
    </message>
    <message>
      <source>How xtract-gui reaches inside each guest to install drivers and keep its IP settings. The form edits the VMs selected in the table.</source>
      <translation>ドライバーのインストールと IP 設定の保持のために、xtract-gui が各ゲストの内部にアクセスする方法です。フォームは表で選択した VM を編集します。</translation>
    </message>
    <message>
      <source>Test of {vm}: {said}</source>
      <translation>{vm} のテスト: {said}</translation>
    </message>
    <message>
      <source>{vm} ({address}) offers this SSH host key:
{key}
Check it on the guest's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub shows it), then trust it. It is pinned in the plan: a different key later stops the connection.</source>
      <translation>{vm} ({address}) が次の SSH ホストキーを提示しています:
{key}
ゲストのコンソールで確認してから (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub で表示できます) 信頼してください。キーはプランに固定され、後で別のキーが提示されると接続を中止します。</translation>
    </message>
    <message>
      <source>The SSH host key was not trusted; nothing was sent to the guest.</source>
      <translation>SSH ホストキーを信頼しなかったため、ゲストには何も送信していません。</translation>
    </message>
    <message>
      <source>Guest credentials</source>
      <translation>ゲスト資格情報</translation>
    </message>
  </context>
  <context>
    <name>JobMonitor</name>
    <message>
      <source>Test</source>
      <translation>テスト</translation>
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
      <source>Create a throw-away copy of the VM on the isolated test subnet; the source keeps running</source>
      <translation>隔離されたテスト用サブネット上に VM の使い捨てコピーを作成します。ソース VM は稼働したままです</translation>
    </message>
    <message>
      <source>Plan</source>
      <translation>プラン</translation>
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
      <source>All plans</source>
      <translation>すべてのプラン</translation>
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
      <source>C&amp;ut over…</source>
      <translation>カットオーバー(&amp;U)…</translation>
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
      <source>Projected downtime: {t}</source>
      <translation>予測ダウンタイム: {t}</translation>
    </message>
    <message>
      <source>Its test VM {name} is removed first.</source>
      <translation>テスト VM {name} を先に削除します。</translation>
    </message>
    <message>
      <source>Cut over</source>
      <translation>カットオーバー</translation>
    </message>
    <message>
      <source>Cut over {name}?</source>
      <translation>{name} をカットオーバーしますか?</translation>
    </message>
    <message>
      <source>Cut over these {n} VMs?</source>
      <translation>これら {n} 台の VM をカットオーバーしますか?</translation>
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
      <source>&amp;Cut over</source>
      <translation>カットオーバー(&amp;C)</translation>
    </message>
    <message>
      <source>Not now</source>
      <translation>今はしない</translation>
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
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>demo</source>
      <translation>デモ</translation>
    </message>
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
      <source>&amp;Start migration</source>
      <translation>移行を開始(&amp;S)</translation>
    </message>
    <message>
      <source>Summary</source>
      <translation>概要</translation>
    </message>
    <message>
      <source>Check the plan, save it if you like, then start. Cold mode: Start shuts the VMs listed below down, after you confirm.</source>
      <translation>プランを確認し、必要なら保存してから開始してください。コールドモード: 開始すると、確認のうえ下に示す VM がシャットダウンされます。</translation>
    </message>
    <message>
      <source>Check the plan, save it if you like, then start. Nothing is shut down before you press Cut over in the job monitor.</source>
      <translation>プランを確認し、必要なら保存してから開始してください。ジョブモニターで「カットオーバー」を押すまで何もシャットダウンされません。</translation>
    </message>
    <message>
      <source>Readiness</source>
      <translation>準備状況</translation>
    </message>
    <message>
      <source>Readiness: no blockers.</source>
      <translation>事前確認: 移行を妨げる問題はありません。</translation>
    </message>
    <message>
      <source>Saved to {path}.</source>
      <translation>{path} に保存しました。</translation>
    </message>
    <message>
      <source>VM</source>
      <translation>VM</translation>
    </message>
    <message>
      <source>On AHV as</source>
      <translation>AHV 上の名前</translation>
    </message>
    <message>
      <source>Guest access</source>
      <translation>ゲストアクセス</translation>
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
      <source>Expected downtime</source>
      <translation>想定ダウンタイム</translation>
    </message>
    <message>
      <source>Shut down when you press Start</source>
      <translation>「開始」を押すとシャットダウンされます</translation>
    </message>
    <message>
      <source>Shut these VMs down now?</source>
      <translation>これらの VM を今シャットダウンしますか?</translation>
    </message>
    <message>
      <source>Cold mode shuts these running VMs down as soon as the migration starts; they stay off until they run on AHV:</source>
      <translation>コールドモードでは、移行を開始するとすぐに以下の稼働中 VM がシャットダウンされ、AHV で起動するまで停止したままになります:</translation>
    </message>
    <message>
      <source>Warm mode keeps them running until you cut each one over.</source>
      <translation>ウォームモードなら、各 VM をカットオーバーするまで稼働したままです。</translation>
    </message>
    <message>
      <source>Shut them down and start</source>
      <translation>シャットダウンして開始</translation>
    </message>
    <message>
      <source>Not now</source>
      <translation>今はしない</translation>
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
      <source>Warm: seed and delta syncs over NFS; each VM keeps running until its cutover (recommended)</source>
      <translation>ウォーム: NFS でシードと差分同期。各 VM はカットオーバーまで稼働したまま (推奨)</translation>
    </message>
    <message>
      <source>Cold: each VM is shut down when the migration starts, then copied over HTTPS</source>
      <translation>コールド: 移行開始時に各 VM をシャットダウンし、HTTPS でコピー</translation>
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
      <source>The migrated disks land in {name}.</source>
      <translation>移行したディスクは {name} に配置されます。</translation>
    </message>
    <message>
      <source>The migrated disks land in {landing} ({free} free), not in {chosen}: Prism Central clones each disk from an image, next to the image. {chosen} holds the staging copies of warm mode.</source>
      <translation>移行したディスクは {chosen} ではなく {landing} (空き {free}) に配置されます。Prism Central は各ディスクをイメージから、そのイメージと同じ場所にクローンするためです。{chosen} にはウォームモードのステージング用コピーが置かれます。</translation>
    </message>
    <message>
      <source>Checking the transfer mode the way the copy will use it…</source>
      <translation>コピーと同じ方法で転送モードを確認しています…</translation>
    </message>
  </context>
  <context>
    <name>ThroughputPlot</name>
    <message>
      <source>No transfer yet</source>
      <translation>まだ転送はありません</translation>
    </message>
    <message>
      <source>limit {rate}</source>
      <translation>上限 {rate}</translation>
    </message>
    <message>
      <source>now {rate}</source>
      <translation>現在 {rate}</translation>
    </message>
    <message>
      <source>peak {rate}</source>
      <translation>最大 {rate}</translation>
    </message>
  </context>
  <context>
    <name>VmsPage</name>
    <message>
      <source>Tick the VMs to migrate. Readiness is checked as you tick; the pane below says what each finding means and where to fix it.</source>
      <translation>移行する VM にチェックを入れてください。チェックするたびに事前確認が行われ、下のペインに各指摘の意味と対処する場所が表示されます。</translation>
    </message>
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
      <source>Check again</source>
      <translation>再確認</translation>
    </message>
    <message>
      <source>Read the inventory again from vCenter and Prism, then check readiness again</source>
      <translation>vCenter と Prism からインベントリを読み直し、事前確認をやり直します</translation>
    </message>
    <message>
      <source>Select a VM to see what readiness found.</source>
      <translation>VM を選ぶと事前確認の結果が表示されます。</translation>
    </message>
    <message>
      <source>Ready: nothing stands in the way.</source>
      <translation>準備完了: 移行を妨げるものはありません。</translation>
    </message>
    <message>
      <source>Blocks the migration</source>
      <translation>移行を妨げる問題</translation>
    </message>
    <message>
      <source>Warning</source>
      <translation>警告</translation>
    </message>
    <message>
      <source>Good to know</source>
      <translation>参考情報</translation>
    </message>
    <message>
      <source>Fix it on the {page} page</source>
      <translation>「{page}」ページで修正</translation>
    </message>
    <message>
      <source>(outside xtract-gui; then press Check again)</source>
      <translation>(xtract-gui の外で対処し、その後「再確認」を押してください)</translation>
    </message>
    <message>
      <source>What to do:</source>
      <translation>対処:</translation>
    </message>
    <message>
      <source>Source vCenter</source>
      <translation>移行元 vCenter</translation>
    </message>
    <message>
      <source>Target Prism</source>
      <translation>移行先 Prism</translation>
    </message>
    <message>
      <source>Guest credentials</source>
      <translation>ゲスト資格情報</translation>
    </message>
    <message>
      <source>Network and options</source>
      <translation>ネットワークとオプション</translation>
    </message>
    <message>
      <source>Summary</source>
      <translation>概要</translation>
    </message>
    <message>
      <source>VM selection</source>
      <translation>VM の選択</translation>
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
      <source>&amp;Back</source>
      <translation>戻る(&amp;B)</translation>
    </message>
    <message>
      <source>&amp;Next</source>
      <translation>次へ(&amp;N)</translation>
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
      <source>migrated before</source>
      <translation>移行済み</translation>
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
      <source>Plan</source>
      <translation>プラン</translation>
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
      <source>Downtime</source>
      <translation>ダウンタイム</translation>
    </message>
    <message>
      <source>Test VM</source>
      <translation>テスト VM</translation>
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
      <source>Done — check the console</source>
      <translation>完了 — コンソールを確認してください</translation>
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
    <message>
      <source>{time} (projected)</source>
      <translation>{time} (予測)</translation>
    </message>
    <message>
      <source>creating…</source>
      <translation>作成中…</translation>
    </message>
    <message>
      <source>removing…</source>
      <translation>削除中…</translation>
    </message>
    <message>
      <source>{name} (running)</source>
      <translation>{name} (稼働中)</translation>
    </message>
  </context>
  <context>
    <name>GuestsModel</name>
    <message>
      <source>VM</source>
      <translation>VM</translation>
    </message>
    <message>
      <source>Test</source>
      <translation>テスト</translation>
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
      <source>Address</source>
      <translation>アドレス</translation>
    </message>
    <message>
      <source>Guest OS</source>
      <translation>ゲスト OS</translation>
    </message>
    <message>
      <source>host key to check</source>
      <translation>ホストキーの確認待ち</translation>
    </message>
    <message>
      <source>no guest preparation</source>
      <translation>ゲスト準備なし</translation>
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
    <name>messages</name>
    <message>
      <source>(on Linux, GNOME Keyring or KWallet, unlocked at login) to keep passwords in.</source>
      <comment>keyring.none.hint</comment>
      <translation>(Linux ではログイン時にロック解除される GNOME Keyring または KWallet) がないため、パスワードを保管できません。</translation>
    </message>
    <message>
      <source>A VM named '{name}' already exists on the target.</source>
      <comment>readiness.name_clash</comment>
      <translation>'{name}' という名前の VM がターゲットに既に存在します。</translation>
    </message>
    <message>
      <source>A VM named '{name}' is already on the target: if this VM was migrated, leave it out of the plan. Otherwise power it on, or set its guest channel to 'none'.</source>
      <comment>readiness.guest_prep_needs_power.fix_migrated</comment>
      <translation>'{name}' という名前の VM が既にターゲット上にあります。この VM を移行済みなら、プランから外してください。そうでなければ電源を入れるか、ゲストチャネルを「なし」にしてください。</translation>
    </message>
    <message>
      <source>Adding VirtIO drivers to the initramfs</source>
      <comment>step</comment>
      <translation>initramfs に VirtIO ドライバーを追加</translation>
    </message>
    <message>
      <source>Adding sha1 certificate</source>
      <comment>step</comment>
      <translation>SHA1 証明書を追加</translation>
    </message>
    <message>
      <source>Adding sha2 certificate</source>
      <comment>step</comment>
      <translation>SHA2 証明書を追加</translation>
    </message>
    <message>
      <source>After cutover: a snapshot of each AHV VM, then VMware Tools and ghost devices are removed.</source>
      <comment>summary.post</comment>
      <translation>カットオーバー後: 各 AHV VM のスナップショットを取得してから、VMware Tools と非存在デバイスを削除します。</translation>
    </message>
    <message>
      <source>Automatic cutover between {a} and {b} when the projected downtime is under {t}.</source>
      <comment>summary.auto_cutover</comment>
      <translation>予測ダウンタイムが {t} 未満なら、{a}〜{b} の間に自動でカットオーバーします。</translation>
    </message>
    <message>
      <source>Bandwidth limit: {v} Mbit/s.</source>
      <comment>summary.limit</comment>
      <translation>帯域幅の上限: {v} Mbit/s。</translation>
    </message>
    <message>
      <source>Bring the VM back to connected in vCenter.</source>
      <comment>readiness.vm_not_connected.fix</comment>
      <translation>vCenter で VM を「接続済み」の状態に戻してください。</translation>
    </message>
    <message>
      <source>Bring the disks online by hand on AHV.</source>
      <comment>readiness.san_policy_shared.fix</comment>
      <translation>AHV 上でディスクを手動でオンラインにしてください。</translation>
    </message>
    <message>
      <source>Cannot reach {host}:{port}.</source>
      <comment>net.unreachable</comment>
      <translation>{host}:{port} に接続できません。</translation>
    </message>
    <message>
      <source>Change the disk mode to Dependent (VM powered off: Edit Settings &gt; disk &gt; Mode).</source>
      <comment>readiness.independent_disk.fix</comment>
      <translation>ディスクモードを「従属」に変更してください (VM の電源オフ後: 設定の編集 &gt; ディスク &gt; モード)。</translation>
    </message>
    <message>
      <source>Changed Block Tracking is off on {vm}; it will be turned on.</source>
      <comment>readiness.cbt_will_be_enabled</comment>
      <translation>{vm} の変更ブロック追跡 (CBT) はオフです。オンにします。</translation>
    </message>
    <message>
      <source>Check that the port is {product}'s HTTPS port.</source>
      <comment>net.tls_failed.hint</comment>
      <translation>そのポートが {product} の HTTPS ポートか確認してください。</translation>
    </message>
    <message>
      <source>Check the SSH host key of {vm} before trusting it.</source>
      <comment>guest.test.host_key</comment>
      <translation>信頼する前に {vm} の SSH ホストキーを確認してください。</translation>
    </message>
    <message>
      <source>Check the address and port, and that {product} is running there.</source>
      <comment>net.refused.hint</comment>
      <translation>アドレスとポート、そしてそこで {product} が動作していることを確認してください。</translation>
    </message>
    <message>
      <source>Check the address, port and network path to {product}.</source>
      <comment>net.unreachable.hint</comment>
      <translation>{product} へのアドレス、ポート、ネットワーク経路を確認してください。</translation>
    </message>
    <message>
      <source>Check the network path (VPN, firewall rules for TCP {port}) to {product}.</source>
      <comment>net.timeout.hint</comment>
      <translation>{product} へのネットワーク経路 (VPN、TCP {port} のファイアウォール規則) を確認してください。</translation>
    </message>
    <message>
      <source>Check the port: {product} serves HTTPS on {usual}.</source>
      <comment>net.not_tls.hint</comment>
      <translation>ポートを確認してください。{product} は {usual} 番で HTTPS を提供します。</translation>
    </message>
    <message>
      <source>Check the {product} address and this computer's DNS settings.</source>
      <comment>net.no_name.hint</comment>
      <translation>{product} のアドレスとこのコンピューターの DNS 設定を確認してください。</translation>
    </message>
    <message>
      <source>Checking Windows Installer version</source>
      <comment>step</comment>
      <translation>Windows Installer のバージョンを確認</translation>
    </message>
    <message>
      <source>Checking admin permissions</source>
      <comment>step</comment>
      <translation>管理者権限を確認</translation>
    </message>
    <message>
      <source>Checking readiness</source>
      <comment>step</comment>
      <translation>準備状況を確認</translation>
    </message>
    <message>
      <source>Checking retained IP addresses</source>
      <comment>step</comment>
      <translation>維持した IP アドレスを確認</translation>
    </message>
    <message>
      <source>Checking root permissions</source>
      <comment>step</comment>
      <translation>root 権限を確認</translation>
    </message>
    <message>
      <source>Checking the network on first boot</source>
      <comment>step</comment>
      <translation>初回起動時のネットワークを確認</translation>
    </message>
    <message>
      <source>Checking whether the transfer mode is reachable…</source>
      <comment>wizard.mode_checking</comment>
      <translation>転送モードで到達できるか確認しています…</translation>
    </message>
    <message>
      <source>Choose a subnet for it on the Network mapping page.</source>
      <comment>readiness.network_unmapped.fix</comment>
      <translation>「ネットワークのマッピング」ページでサブネットを選択してください。</translation>
    </message>
    <message>
      <source>Choose an isolated subnet for test VMs on the Network page.</source>
      <comment>test.no_subnet.hint</comment>
      <translation>「ネットワーク」ページでテスト VM 用の隔離されたサブネットを選択してください。</translation>
    </message>
    <message>
      <source>Choose another container or free space on it.</source>
      <comment>readiness.container_space.fix</comment>
      <translation>別のコンテナーを選ぶか、空き容量を増やしてください。</translation>
    </message>
    <message>
      <source>Choose the AHV cluster to migrate to.</source>
      <comment>wizard.cluster</comment>
      <translation>移行先の AHV クラスターを選んでください。</translation>
    </message>
    <message>
      <source>Choose the AHV subnet for port group {pg}.</source>
      <comment>wizard.map_subnet</comment>
      <translation>ポートグループ {pg} の AHV サブネットを選んでください。</translation>
    </message>
    <message>
      <source>Choose the cluster again on the Target page.</source>
      <comment>readiness.cluster_missing.fix</comment>
      <translation>「ターゲット」ページでクラスターを選び直してください。</translation>
    </message>
    <message>
      <source>Choose the storage container again on the Target page.</source>
      <comment>readiness.container_missing.fix</comment>
      <translation>「ターゲット」ページでストレージコンテナーを選び直してください。</translation>
    </message>
    <message>
      <source>Choose the storage container for the disks.</source>
      <comment>wizard.container</comment>
      <translation>ディスクを置くストレージコンテナーを選んでください。</translation>
    </message>
    <message>
      <source>Cleaning up</source>
      <comment>step</comment>
      <translation>クリーンアップ</translation>
    </message>
    <message>
      <source>Cleaning up in the guest</source>
      <comment>step</comment>
      <translation>ゲスト内のクリーンアップ</translation>
    </message>
    <message>
      <source>Cold mode needs only Prism's HTTPS, which answers.</source>
      <comment>wizard.mode.cold_ok</comment>
      <translation>コールドモードに必要なのは Prism の HTTPS だけで、応答しています。</translation>
    </message>
    <message>
      <source>Cold mode shuts {vm} down before its disks are copied (it stays off for the whole copy), and nobody confirmed that.</source>
      <comment>readiness.cold_power_off_unconfirmed</comment>
      <translation>コールドモードではディスクのコピー前に {vm} をシャットダウンします (コピーの間ずっと停止します)。まだ誰もこれを承認していません。</translation>
    </message>
    <message>
      <source>Cold mode: {vm} is shut down before its disks are copied (downtime = whole copy).</source>
      <comment>readiness.cold_shutdown</comment>
      <translation>コールドモード: ディスクのコピー前に {vm} をシャットダウンします (ダウンタイム = コピー全体)。</translation>
    </message>
    <message>
      <source>Confirm it when you press Start in the wizard, or set "allow_power_off_for_cold": true in the plan's options; or use warm mode, which keeps the VM running until its cutover.</source>
      <comment>readiness.cold_power_off_unconfirmed.fix</comment>
      <translation>ウィザードで「開始」を押すときに承認するか、プランのオプションで "allow_power_off_for_cold": true を設定してください。またはカットオーバーまで VM を稼働させたままにするウォームモードを使ってください。</translation>
    </message>
    <message>
      <source>Connect the plan to the Prism Central that manages this cluster (Target page): it creates the VM with machine type Q35 and Secure Boot.</source>
      <comment>readiness.secure_boot_needs_pc.fix</comment>
      <translation>このクラスターを管理する Prism Central にプランを接続してください (「ターゲット」ページ)。Prism Central ならマシンタイプ Q35 とセキュアブートで VM を作成できます。</translation>
    </message>
    <message>
      <source>Connect to Prism first.</source>
      <comment>wizard.mode.connect_first</comment>
      <translation>先に Prism に接続してください。</translation>
    </message>
    <message>
      <source>Connect to the source vCenter first (page 1).</source>
      <comment>guest.test.not_connected</comment>
      <translation>先にソースの vCenter に接続してください (ページ 1)。</translation>
    </message>
    <message>
      <source>Copying disks</source>
      <comment>step</comment>
      <translation>ディスクをコピー</translation>
    </message>
    <message>
      <source>Creating VM on AHV</source>
      <comment>step</comment>
      <translation>AHV に VM を作成</translation>
    </message>
    <message>
      <source>Creating the test VM</source>
      <comment>step</comment>
      <translation>テスト VM を作成</translation>
    </message>
    <message>
      <source>Cutover: only when you press Cut over in the job monitor; nothing is shut down before.</source>
      <comment>summary.manual_cutover</comment>
      <translation>カットオーバー: ジョブモニターで「カットオーバー」を押したときだけ。それまで何もシャットダウンされません。</translation>
    </message>
    <message>
      <source>Decrypt the VM in the vSphere Client (VM Policies &gt; Edit VM Storage Policies, a policy without encryption) and check again; AHV encrypts data at rest itself.</source>
      <comment>readiness.encrypted.fix</comment>
      <translation>vSphere Client で VM を復号してから (VM ポリシー &gt; VM ストレージ ポリシーの編集、暗号化なしのポリシー) 再確認してください。AHV は保存データを自身で暗号化します。</translation>
    </message>
    <message>
      <source>Delete or consolidate the existing snapshots (Snapshots &gt; Delete All), then check again.</source>
      <comment>readiness.existing_snapshots.fix</comment>
      <translation>既存のスナップショットを削除または統合してから (スナップショット &gt; すべて削除)、再確認してください。</translation>
    </message>
    <message>
      <source>Delete the snapshots (Snapshots &gt; Delete All) before migrating.</source>
      <comment>readiness.too_many_snapshots.fix</comment>
      <translation>移行前にスナップショットを削除してください (スナップショット &gt; すべて削除)。</translation>
    </message>
    <message>
      <source>Disconnecting the source NICs</source>
      <comment>step</comment>
      <translation>移行元の NIC を切断</translation>
    </message>
    <message>
      <source>Disk '{disk}' is a physical-mode RDM; it cannot be snapshotted or read through the datastore.</source>
      <comment>readiness.rdm_physical</comment>
      <translation>ディスク '{disk}' は物理互換モードの RDM のため、スナップショットもデータストア経由の読み取りもできません。</translation>
    </message>
    <message>
      <source>Disk '{disk}' is a virtual-mode RDM; its data is on a LUN, with no flat file to copy.</source>
      <comment>readiness.rdm_virtual</comment>
      <translation>ディスク '{disk}' は仮想互換モードの RDM です。データは LUN 上にあり、コピーできるフラットファイルがありません。</translation>
    </message>
    <message>
      <source>Disk '{disk}' is independent, so snapshots and CBT leave it out.</source>
      <comment>readiness.independent_disk</comment>
      <translation>ディスク '{disk}' は独立型のため、スナップショットと CBT の対象外です。</translation>
    </message>
    <message>
      <source>Disk '{disk}' is shared (multi-writer); it cannot be snapshotted.</source>
      <comment>readiness.multi_writer_disk</comment>
      <translation>ディスク '{disk}' は共有 (マルチライター) のため、スナップショットを取得できません。</translation>
    </message>
    <message>
      <source>Disk '{disk}' of {vm} is on {kind} datastore '{datastore}', whose disks are objects with no flat file to read over HTTPS.</source>
      <comment>readiness.no_flat_file_datastore</comment>
      <translation>{vm} のディスク '{disk}' は {kind} データストア '{datastore}' 上にあります。そのディスクはオブジェクトであり、HTTPS で読めるフラットファイルがありません。</translation>
    </message>
    <message>
      <source>Disk {disk} of {vm} has not been copied yet.</source>
      <comment>cutover.disk_not_copied</comment>
      <translation>{vm} のディスク {disk} はまだコピーされていません。</translation>
    </message>
    <message>
      <source>Disk(s) {disks} of {vm} are encrypted by vSphere: their files hold ciphertext, which would land on AHV as a disk that never boots.</source>
      <comment>readiness.encrypted.disks</comment>
      <translation>{vm} のディスク {disks} は vSphere で暗号化されています。ファイルの中身は暗号文のため、AHV では起動しないディスクになってしまいます。</translation>
    </message>
    <message>
      <source>Enable a guest channel, or reconfigure the IP addresses on AHV by hand.</source>
      <comment>readiness.ip_retention_needs_guest.fix</comment>
      <translation>ゲストチャネルを有効にするか、AHV 上で IP アドレスを手動で設定し直してください。</translation>
    </message>
    <message>
      <source>Enter only the host name or IP, without http:// or a path.</source>
      <comment>wizard.address_plain</comment>
      <translation>http:// やパスを付けず、ホスト名または IP だけを入力してください。</translation>
    </message>
    <message>
      <source>Enter the cutover window as HH:MM, for example 22:30.</source>
      <comment>wizard.window</comment>
      <translation>カットオーバーの時間枠は HH:MM 形式 (例: 22:30) で入力してください。</translation>
    </message>
    <message>
      <source>Enter the guest's address, or use the VMware Tools channel.</source>
      <comment>readiness.guest_no_address.fix</comment>
      <translation>ゲストのアドレスを入力するか、VMware Tools チャネルを使ってください。</translation>
    </message>
    <message>
      <source>Enter the lab folder.</source>
      <comment>wizard.lab_folder</comment>
      <translation>ラボのフォルダーを入力してください。</translation>
    </message>
    <message>
      <source>Enter the password.</source>
      <comment>wizard.password</comment>
      <translation>パスワードを入力してください。</translation>
    </message>
    <message>
      <source>Enter the user name.</source>
      <comment>wizard.user</comment>
      <translation>ユーザー名を入力してください。</translation>
    </message>
    <message>
      <source>Enter the {what} address (host name or IP).</source>
      <comment>wizard.address</comment>
      <translation>{what} のアドレス (ホスト名または IP) を入力してください。</translation>
    </message>
    <message>
      <source>Final sync</source>
      <comment>step</comment>
      <translation>最終同期</translation>
    </message>
    <message>
      <source>Fix the cause in the guest and run the preparation again; tasks already done are skipped safely.</source>
      <comment>guest.task_failed.hint</comment>
      <translation>ゲスト内で原因を解消してから準備をやり直してください。完了済みのタスクは安全にスキップされます。</translation>
    </message>
    <message>
      <source>Give one of them another target name.</source>
      <comment>readiness.target_name_twice.fix</comment>
      <translation>どちらかに別のターゲット名を付けてください。</translation>
    </message>
    <message>
      <source>Grant the account a role with these privileges on the VM, its host and datastores (or on the vCenter root, propagated), then check again.</source>
      <comment>readiness.missing_privileges.fix</comment>
      <translation>VM、そのホストとデータストアに対して (または vCenter のルートで伝播させて) これらの権限を持つロールをアカウントに付与してから、再確認してください。</translation>
    </message>
    <message>
      <source>Guest channels are not available in this build.</source>
      <comment>guest.test.no_channels</comment>
      <translation>このビルドではゲストチャネルを利用できません。</translation>
    </message>
    <message>
      <source>Guest preparation is off for this VM.</source>
      <comment>guest.test.off</comment>
      <translation>この VM のゲスト準備はオフです。</translation>
    </message>
    <message>
      <source>Guest preparation is off for {vm}: no VirtIO drivers, SAN policy or IP retention.</source>
      <comment>readiness.guest_prep_skipped</comment>
      <translation>{vm} のゲスト準備はオフです: VirtIO ドライバー、SAN ポリシー、IP 保持は行われません。</translation>
    </message>
    <message>
      <source>Guest task "{title}" failed: {why}</source>
      <comment>guest.task_failed</comment>
      <translation>ゲストタスク「{title}」が失敗しました: {why}</translation>
    </message>
    <message>
      <source>IP retention needs guest preparation, which is off for {vm}.</source>
      <comment>readiness.ip_retention_needs_guest</comment>
      <translation>IP 保持にはゲスト準備が必要ですが、{vm} ではオフです。</translation>
    </message>
    <message>
      <source>IP settings are not carried over; set them on AHV.</source>
      <comment>summary.ip_off</comment>
      <translation>IP 設定は引き継ぎません。AHV 上で設定してください。</translation>
    </message>
    <message>
      <source>IP settings are restored inside {vms} at the first boot on AHV.</source>
      <comment>summary.ip_kept</comment>
      <translation>{vms} の IP 設定は AHV での初回起動時にゲスト内で復元されます。</translation>
    </message>
    <message>
      <source>If {vm} was migrated already, leave it out of the plan; otherwise set another target name for it, or remove the existing VM in Prism.</source>
      <comment>readiness.name_clash.fix</comment>
      <translation>{vm} が移行済みならプランから外してください。そうでなければ別のターゲット名を付けるか、Prism で既存の VM を削除してください。</translation>
    </message>
    <message>
      <source>In Prism: Storage &gt; '{container}' &gt; Update &gt; Advanced Settings &gt; Filesystem Whitelist, add {entry} for the migration (and remove it afterwards); or choose a container without a whitelist of its own, or cold mode.</source>
      <comment>readiness.container_whitelist.fix</comment>
      <translation>Prism で「ストレージ &gt; '{container}' &gt; 更新 &gt; 詳細設定 &gt; ファイルシステムのホワイトリスト」に移行中だけ {entry} を追加してください (後で削除)。または独自のホワイトリストを持たないコンテナーか、コールドモードを選んでください。</translation>
    </message>
    <message>
      <source>Install or start VMware Tools for a clean guest shutdown at cutover; without it the VM is powered off, as the plan allows.</source>
      <comment>readiness.tools_not_running.fix_power_off</comment>
      <translation>カットオーバー時に正常にゲストをシャットダウンするため、VMware Tools をインストールまたは起動してください。無い場合は、プランの許可どおり VM の電源を切ります。</translation>
    </message>
    <message>
      <source>Install or start VMware Tools: guest operations and a clean guest shutdown at cutover need it.</source>
      <comment>readiness.tools_not_running.fix_channel</comment>
      <translation>VMware Tools をインストールまたは起動してください。ゲスト操作とカットオーバー時の正常なシャットダウンに必要です。</translation>
    </message>
    <message>
      <source>Install or start VMware Tools: the cutover shuts the guest down through it. Or allow power-off after the shutdown timeout in the plan's options.</source>
      <comment>readiness.tools_not_running.fix_allow</comment>
      <translation>VMware Tools をインストールまたは起動してください。カットオーバーは Tools 経由でゲストをシャットダウンします。またはプランのオプションでシャットダウンのタイムアウト後の電源オフを許可してください。</translation>
    </message>
    <message>
      <source>Installing VirtIO drivers</source>
      <comment>step</comment>
      <translation>VirtIO ドライバーをインストール</translation>
    </message>
    <message>
      <source>Installing the first-boot task</source>
      <comment>step</comment>
      <translation>初回起動タスクをインストール</translation>
    </message>
    <message>
      <source>It was removed or renamed: select it again in the wizard.</source>
      <comment>readiness.vm_not_found.fix</comment>
      <translation>削除または名前が変更されました。ウィザードで選び直してください。</translation>
    </message>
    <message>
      <source>Its configuration is corrupt: fix or re-register the VM in the vSphere Client.</source>
      <comment>readiness.vm_not_connected.fix_invalid</comment>
      <translation>構成が壊れています。vSphere Client で VM を修復するか再登録してください。</translation>
    </message>
    <message>
      <source>Its datastore is unreachable or its files are missing: bring the datastore back (Storage &gt; Rescan), then check again.</source>
      <comment>readiness.vm_not_connected.fix_inaccessible</comment>
      <translation>データストアに到達できないか、ファイルがありません。データストアを復旧してから (ストレージ &gt; 再スキャン)、再確認してください。</translation>
    </message>
    <message>
      <source>Keeping staging images</source>
      <comment>step</comment>
      <translation>ステージングイメージを保持</translation>
    </message>
    <message>
      <source>Leave this VM out of the plan.</source>
      <comment>readiness.no_disks.fix</comment>
      <translation>この VM をプランから外してください。</translation>
    </message>
    <message>
      <source>Loading user profile</source>
      <comment>step</comment>
      <translation>ユーザープロファイルを読み込み</translation>
    </message>
    <message>
      <source>MOUNT of {export} on {host} failed: {why}</source>
      <comment>nfs.probe.mount_error</comment>
      <translation>{host} で {export} の MOUNT に失敗しました: {why}</translation>
    </message>
    <message>
      <source>Make sure the guest already has VirtIO drivers, or it will not boot on AHV (INACCESSIBLE_BOOT_DEVICE).</source>
      <comment>readiness.guest_prep_skipped.fix</comment>
      <translation>ゲストに VirtIO ドライバーが既に入っていることを確認してください。無いと AHV で起動しません (INACCESSIBLE_BOOT_DEVICE)。</translation>
    </message>
    <message>
      <source>Make sure the guest's initramfs already holds virtio_scsi and virtio_net (dracut or update-initramfs), or it will stop at the initramfs shell on AHV without its root disk.</source>
      <comment>readiness.guest_prep_skipped.fix_linux</comment>
      <translation>ゲストの initramfs に virtio_scsi と virtio_net が既に含まれていることを確認してください (dracut または update-initramfs)。含まれていない場合、AHV ではルートディスクが見つからず initramfs のシェルで停止します。</translation>
    </message>
    <message>
      <source>Migrate clustered VMs with an application-level method, or turn sharing off.</source>
      <comment>readiness.multi_writer_disk.fix</comment>
      <translation>クラスター構成の VM はアプリケーションレベルの方法で移行するか、共有をオフにしてください。</translation>
    </message>
    <message>
      <source>Migrate in smaller batches, or choose another container.</source>
      <comment>readiness.container_space_total.fix</comment>
      <translation>より小さな単位で移行するか、別のコンテナーを選んでください。</translation>
    </message>
    <message>
      <source>Migrate the LUN's data separately (storage vMotion it to a VMDK first, or attach it as a Volume Group on AHV).</source>
      <comment>readiness.rdm_physical.fix</comment>
      <translation>LUN のデータは別に移行してください (先に Storage vMotion で VMDK にするか、AHV でボリュームグループとして接続)。</translation>
    </message>
    <message>
      <source>Migrate {n} VM from the demo lab's vSphere to Prism {tgt}.</source>
      <comment>summary.from_to.lab.one</comment>
      <translation>デモラボの vSphere から Prism {tgt} へ {n} 台の VM を移行します。</translation>
    </message>
    <message>
      <source>Migrate {n} VM from vCenter {src} to Prism {tgt}.</source>
      <comment>summary.from_to.one</comment>
      <translation>vCenter {src} から Prism {tgt} へ {n} 台の VM を移行します。</translation>
    </message>
    <message>
      <source>Migrate {n} VMs from the demo lab's vSphere to Prism {tgt}.</source>
      <comment>summary.from_to.lab.other</comment>
      <translation>デモラボの vSphere から Prism {tgt} へ {n} 台の VM を移行します。</translation>
    </message>
    <message>
      <source>Migrate {n} VMs from vCenter {src} to Prism {tgt}.</source>
      <comment>summary.from_to.other</comment>
      <translation>vCenter {src} から Prism {tgt} へ {n} 台の VM を移行します。</translation>
    </message>
    <message>
      <source>Mounting file systems by UUID</source>
      <comment>step</comment>
      <translation>UUID でファイルシステムをマウント</translation>
    </message>
    <message>
      <source>NFS on {host} answers (portmapper, MOUNT and NFS v3). MOUNT of {export} is refused until this computer is in the cluster's NFS whitelist: xtract-gui adds it when the copy starts and removes it afterwards.</source>
      <comment>nfs.probe.ok_not_whitelisted</comment>
      <translation>{host} の NFS は応答しています (portmapper、MOUNT、NFS v3)。このコンピューターがクラスターの NFS ホワイトリストに入るまで {export} の MOUNT は拒否されます。xtract-gui がコピー開始時に追加し、終了後に削除します。</translation>
    </message>
    <message>
      <source>NFS on {host} answers and {export} mounts from this computer (portmapper, MOUNT and NFS v3 checked).</source>
      <comment>nfs.probe.ok</comment>
      <translation>{host} の NFS は応答し、このコンピューターから {export} をマウントできます (portmapper、MOUNT、NFS v3 を確認済み)。</translation>
    </message>
    <message>
      <source>No IP address is known for {vm}, so SSH cannot reach it.</source>
      <comment>readiness.guest_no_address.ssh</comment>
      <translation>{vm} の IP アドレスが不明なため、SSH で接続できません。</translation>
    </message>
    <message>
      <source>No IP address is known for {vm}, so WinRM cannot reach it.</source>
      <comment>readiness.guest_no_address.winrm</comment>
      <translation>{vm} の IP アドレスが不明なため、WinRM で接続できません。</translation>
    </message>
    <message>
      <source>No IP address is known for {vm}; enter its address, or use VMware Tools.</source>
      <comment>guest.test.no_address</comment>
      <translation>{vm} の IP アドレスが不明です。アドレスを入力するか、VMware Tools を使ってください。</translation>
    </message>
    <message>
      <source>No answer from {addresses} (from this laptop).</source>
      <comment>cutover.no_answer</comment>
      <translation>{addresses} から応答がありません (このラップトップから)。</translation>
    </message>
    <message>
      <source>No bandwidth limit.</source>
      <comment>summary.no_limit</comment>
      <translation>帯域幅の上限なし。</translation>
    </message>
    <message>
      <source>No guest tasks exist for {os} guests.</source>
      <comment>guest.test.unsupported</comment>
      <translation>{os} ゲスト用のゲストタスクはありません。</translation>
    </message>
    <message>
      <source>No migration job for VM {vm}.</source>
      <comment>manager.no_job</comment>
      <translation>VM {vm} の移行ジョブはありません。</translation>
    </message>
    <message>
      <source>No secret stored for {ref}.</source>
      <comment>engine.secret_missing</comment>
      <translation>{ref} のシークレットが保存されていません。</translation>
    </message>
    <message>
      <source>Nobody saw {vm} boot on AHV. Open its console in Prism: check that Windows or Linux started, its disks are online and it answers at {ips}.</source>
      <comment>cutover.check_console.ip</comment>
      <translation>{vm} が AHV で起動したことを誰も確認していません。Prism でコンソールを開き、Windows または Linux が起動し、ディスクがオンラインで、{ips} で応答することを確認してください。</translation>
    </message>
    <message>
      <source>Nobody saw {vm} boot on AHV. Open its console in Prism: check that Windows or Linux started, its disks are online and its network is configured.</source>
      <comment>cutover.check_console</comment>
      <translation>{vm} が AHV で起動したことを誰も確認していません。Prism でコンソールを開き、Windows または Linux が起動し、ディスクがオンラインで、ネットワークが設定されていることを確認してください。</translation>
    </message>
    <message>
      <source>Nothing to do if it has room; move a VM's disks afterwards with 'acli vm.update_container', or connect to the Prism Element to choose the container.</source>
      <comment>readiness.disks_land_elsewhere.fix</comment>
      <translation>容量が足りていれば対処は不要です。後から 'acli vm.update_container' で VM のディスクを移動するか、コンテナーを選ぶには Prism Element に接続してください。</translation>
    </message>
    <message>
      <source>Nothing to do.</source>
      <comment>readiness.nothing_to_do</comment>
      <translation>対処は不要です。</translation>
    </message>
    <message>
      <source>Nothing to do: on a running VM a short snapshot makes the setting take effect.</source>
      <comment>readiness.cbt_will_be_enabled.fix</comment>
      <translation>対処は不要です。稼働中の VM では短時間のスナップショットで設定が有効になります。</translation>
    </message>
    <message>
      <source>Nothing to do; 'xtract-gui report' shows it.</source>
      <comment>cutover.not_ready.done.hint</comment>
      <translation>対処は不要です。'xtract-gui report' で確認できます。</translation>
    </message>
    <message>
      <source>Open the VM console on AHV and check the network settings.</source>
      <comment>cutover.first_boot_failed.hint</comment>
      <translation>AHV で VM のコンソールを開き、ネットワーク設定を確認してください。</translation>
    </message>
    <message>
      <source>Open the VM console on AHV; the VM is running.</source>
      <comment>cutover.first_boot_late.hint</comment>
      <translation>AHV で VM のコンソールを開いてください。VM は稼働しています。</translation>
    </message>
    <message>
      <source>Open the guest credentials page and accept the key it shows after checking it on the guest's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), or set guest.ssh_host_key.</source>
      <comment>readiness.ssh_host_key_not_pinned.fix</comment>
      <translation>「ゲスト資格情報」ページを開き、表示されたキーをゲストのコンソールで確認してから (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) 承認するか、guest.ssh_host_key を設定してください。</translation>
    </message>
    <message>
      <source>Pause them first.</source>
      <comment>manager.plan_running.hint</comment>
      <translation>先に一時停止してください。</translation>
    </message>
    <message>
      <source>Pick an existing subnet on the Network mapping page.</source>
      <comment>readiness.subnet_missing.fix</comment>
      <translation>「ネットワークのマッピング」ページで既存のサブネットを選んでください。</translation>
    </message>
    <message>
      <source>Port group '{pg}' is mapped to a subnet that the target does not have.</source>
      <comment>readiness.subnet_missing</comment>
      <translation>ポートグループ '{pg}' が、ターゲットに存在しないサブネットにマッピングされています。</translation>
    </message>
    <message>
      <source>Port group '{pg}' of {vm} is not mapped to an AHV subnet.</source>
      <comment>readiness.network_unmapped</comment>
      <translation>{vm} のポートグループ '{pg}' が AHV のサブネットにマッピングされていません。</translation>
    </message>
    <message>
      <source>Port group {pg} → subnet {subnet}</source>
      <comment>summary.map</comment>
      <translation>ポートグループ {pg} → サブネット {subnet}</translation>
    </message>
    <message>
      <source>Power the VM on, or set its guest channel to 'none'.</source>
      <comment>readiness.guest_prep_needs_power.fix</comment>
      <translation>VM の電源を入れるか、ゲストチャネルを「なし」にしてください。</translation>
    </message>
    <message>
      <source>Powering on</source>
      <comment>step</comment>
      <translation>電源オン</translation>
    </message>
    <message>
      <source>Preparing the guest</source>
      <comment>step</comment>
      <translation>ゲストを準備</translation>
    </message>
    <message>
      <source>Press Connect to check the address and the account.</source>
      <comment>wizard.press_connect</comment>
      <translation>「接続」を押してアドレスとアカウントを確認してください。</translation>
    </message>
    <message>
      <source>Prism Central puts the migrated disks in container '{landing}', not in '{chosen}': its API clones a disk from an image next to the image.</source>
      <comment>readiness.disks_land_elsewhere</comment>
      <translation>Prism Central は移行したディスクを '{chosen}' ではなくコンテナー '{landing}' に置きます。その API はディスクをイメージと同じ場所にクローンするためです。</translation>
    </message>
    <message>
      <source>Readiness check failed: {reason}</source>
      <comment>engine.readiness_failed</comment>
      <translation>事前確認に失敗しました: {reason}</translation>
    </message>
    <message>
      <source>Readiness of {name} is still being checked.</source>
      <comment>wizard.checking_vm</comment>
      <translation>{name} の準備状況を確認中です。</translation>
    </message>
    <message>
      <source>Reading the first-boot result</source>
      <comment>step</comment>
      <translation>初回起動の結果を読み取り</translation>
    </message>
    <message>
      <source>Reconnect its ESXi host in vCenter (Connection &gt; Connect), then check again.</source>
      <comment>readiness.vm_not_connected.fix_disconnected</comment>
      <translation>vCenter で ESXi ホストを再接続してから (接続 &gt; 接続)、再確認してください。</translation>
    </message>
    <message>
      <source>Recording Windows license status</source>
      <comment>step</comment>
      <translation>Windows のライセンス状態を記録</translation>
    </message>
    <message>
      <source>Reinstall xtract-gui.</source>
      <comment>guest.test.reinstall_short</comment>
      <translation>xtract-gui を再インストールしてください。</translation>
    </message>
    <message>
      <source>Reinstall xtract-gui: its resources folder is incomplete.</source>
      <comment>guest.test.reinstall</comment>
      <translation>xtract-gui を再インストールしてください。リソースフォルダーが不完全です。</translation>
    </message>
    <message>
      <source>Removing VMware Tools</source>
      <comment>step</comment>
      <translation>VMware Tools を削除</translation>
    </message>
    <message>
      <source>Removing non-present devices</source>
      <comment>step</comment>
      <translation>存在しないデバイスを削除</translation>
    </message>
    <message>
      <source>Removing staging files</source>
      <comment>step</comment>
      <translation>ステージングファイルを削除</translation>
    </message>
    <message>
      <source>Removing staging images</source>
      <comment>step</comment>
      <translation>ステージングイメージを削除</translation>
    </message>
    <message>
      <source>Removing the NFS whitelist entry</source>
      <comment>step</comment>
      <translation>NFS ホワイトリストのエントリを削除</translation>
    </message>
    <message>
      <source>Removing the safety snapshot</source>
      <comment>step</comment>
      <translation>安全用スナップショットを削除</translation>
    </message>
    <message>
      <source>Removing the test VM</source>
      <comment>step</comment>
      <translation>テスト VM を削除</translation>
    </message>
    <message>
      <source>Restoring the network on first boot</source>
      <comment>step</comment>
      <translation>初回起動時にネットワークを復元</translation>
    </message>
    <message>
      <source>Resume it first: xtract-gui resume {vm}</source>
      <comment>cutover.not_ready.paused.hint</comment>
      <translation>先に再開してください: xtract-gui resume {vm}</translation>
    </message>
    <message>
      <source>Resume, retry or cancel that migration first.</source>
      <comment>manager.already_migrating.hint</comment>
      <translation>先にその移行を再開、再試行、またはキャンセルしてください。</translation>
    </message>
    <message>
      <source>Retaining IP addresses</source>
      <comment>step</comment>
      <translation>IP アドレスを維持</translation>
    </message>
    <message>
      <source>Retry it ('xtract-gui run PLAN' continues it, or Retry in the wizard); once it shows 'ready for cutover' again, cut over.</source>
      <comment>cutover.not_ready.failed.hint</comment>
      <translation>再試行してください ('xtract-gui run PLAN' で続行、またはウィザードの「再試行」)。再び「カットオーバー可能」になったらカットオーバーしてください。</translation>
    </message>
    <message>
      <source>Retry it ('xtract-gui run PLAN' or Retry in the wizard) after fixing the cause.</source>
      <comment>cutover.not_ready.rolled_back.hint</comment>
      <translation>原因を解消してから再試行してください ('xtract-gui run PLAN' またはウィザードの「再試行」)。</translation>
    </message>
    <message>
      <source>Retry the job to finish its last steps, or remove the AHV VM in Prism.</source>
      <comment>manager.cannot_cancel.hint</comment>
      <translation>ジョブを再試行して残りの手順を終えるか、Prism で AHV VM を削除してください。</translation>
    </message>
    <message>
      <source>Reverting guest preparation</source>
      <comment>step</comment>
      <translation>ゲスト準備を元に戻す</translation>
    </message>
    <message>
      <source>Rolled back: {reason}</source>
      <comment>cutover.rolled_back</comment>
      <translation>ロールバックしました: {reason}</translation>
    </message>
    <message>
      <source>Rolling back</source>
      <comment>step</comment>
      <translation>ロールバック</translation>
    </message>
    <message>
      <source>Run 'xtract-gui status' to list jobs.</source>
      <comment>manager.no_job.hint</comment>
      <translation>'xtract-gui status' でジョブ一覧を表示できます。</translation>
    </message>
    <message>
      <source>Run Snapshots &gt; Consolidate on the VM in the vSphere Client, then check again.</source>
      <comment>readiness.consolidation_needed.fix</comment>
      <translation>vSphere Client で VM に対して「スナップショット &gt; 統合」を実行してから、再確認してください。</translation>
    </message>
    <message>
      <source>SAN policy OnlineAll is unsafe for disks shared by a cluster; it will not be set.</source>
      <comment>readiness.san_policy_shared</comment>
      <translation>クラスターで共有されるディスクに SAN ポリシー OnlineAll は危険なため、設定しません。</translation>
    </message>
    <message>
      <source>SSH guest preparation is for Linux guests; {vm} runs {os}.</source>
      <comment>readiness.ssh_needs_linux</comment>
      <translation>SSH によるゲスト準備は Linux ゲスト用です。{vm} は {os} です。</translation>
    </message>
    <message>
      <source>SSH reaches Linux guests only; {vm} runs {os}.</source>
      <comment>guest.test.ssh_linux</comment>
      <translation>SSH は Linux ゲストにのみ使えます。{vm} は {os} です。</translation>
    </message>
    <message>
      <source>Seed</source>
      <comment>step</comment>
      <translation>シード</translation>
    </message>
    <message>
      <source>Select at least one VM to migrate.</source>
      <comment>wizard.select_vm</comment>
      <translation>移行する VM を 1 台以上選んでください。</translation>
    </message>
    <message>
      <source>Set the guest channel to 'none' and install VirtIO drivers by hand.</source>
      <comment>readiness.guest_os_unsupported.fix</comment>
      <translation>ゲストチャネルを「なし」にして、VirtIO ドライバーを手動でインストールしてください。</translation>
    </message>
    <message>
      <source>Setting SAN policy to OnlineAll</source>
      <comment>step</comment>
      <translation>SAN ポリシーを OnlineAll に設定</translation>
    </message>
    <message>
      <source>Shut the guest down by hand, or allow power-off after the timeout in the plan.</source>
      <comment>cutover.shutdown_timeout.hint</comment>
      <translation>ゲストを手動でシャットダウンするか、プランでタイムアウト後の電源オフを許可してください。</translation>
    </message>
    <message>
      <source>Shutting down source</source>
      <comment>step</comment>
      <translation>移行元をシャットダウン</translation>
    </message>
    <message>
      <source>Start VMware Tools in the guest, or allow power-off after the shutdown timeout in the plan, then cut over again.</source>
      <comment>cutover.cannot_shut_down.hint</comment>
      <translation>ゲストで VMware Tools を起動するか、プランでシャットダウンのタイムアウト後の電源オフを許可してから、もう一度カットオーバーしてください。</translation>
    </message>
    <message>
      <source>Start its migration again with 'xtract-gui run PLAN'.</source>
      <comment>cutover.not_ready.cancelled.hint</comment>
      <translation>'xtract-gui run PLAN' で移行をやり直してください。</translation>
    </message>
    <message>
      <source>Storage container '{container}' has an NFS whitelist of its own (it does not use the cluster's), and this computer is perhaps not in it: the entry the tool adds to the cluster's whitelist does not open this container.</source>
      <comment>readiness.container_whitelist.maybe</comment>
      <translation>ストレージコンテナー '{container}' は独自の NFS ホワイトリストを持ち (クラスターのものを使いません)、このコンピューターが含まれていない可能性があります。ツールがクラスターのホワイトリストに追加するエントリーでは、このコンテナーにアクセスできません。</translation>
    </message>
    <message>
      <source>Storage container '{container}' has an NFS whitelist of its own (it does not use the cluster's), and {laptop} is not in it: the entry the tool adds to the cluster's whitelist does not open this container.</source>
      <comment>readiness.container_whitelist</comment>
      <translation>ストレージコンテナー '{container}' は独自の NFS ホワイトリストを持ち (クラスターのものを使いません)、{laptop} は含まれていません。ツールがクラスターのホワイトリストに追加するエントリーでは、このコンテナーにアクセスできません。</translation>
    </message>
    <message>
      <source>Storage vMotion the VM to a VMFS or NFS datastore (Migrate &gt; Change storage only), then check again.</source>
      <comment>readiness.no_flat_file_datastore.fix</comment>
      <translation>Storage vMotion で VM を VMFS または NFS データストアに移してから (移行 &gt; ストレージのみ変更)、再確認してください。</translation>
    </message>
    <message>
      <source>Storage vMotion the disk to a virtual disk (VMDK) first (Migrate &gt; Change storage, format Thin or Thick), or migrate the LUN's data separately (a Volume Group on AHV).</source>
      <comment>readiness.rdm_virtual.fix</comment>
      <translation>先に Storage vMotion でディスクを仮想ディスク (VMDK) にするか (移行 &gt; ストレージの変更、シンまたはシック形式)、LUN のデータを別途移行してください (AHV のボリュームグループ)。</translation>
    </message>
    <message>
      <source>Store it with: xtract-gui secret set {service} {user}</source>
      <comment>engine.secret_missing.hint</comment>
      <translation>次のコマンドで保存してください: xtract-gui secret set {service} {user}</translation>
    </message>
    <message>
      <source>Sync {n}</source>
      <comment>step.sync</comment>
      <translation>同期 {n}</translation>
    </message>
    <message>
      <source>Taking a safety snapshot</source>
      <comment>step</comment>
      <translation>安全用スナップショットを取得</translation>
    </message>
    <message>
      <source>Taking an AHV snapshot</source>
      <comment>step</comment>
      <translation>AHV のスナップショットを取得</translation>
    </message>
    <message>
      <source>The AHV VMs get new MAC addresses.</source>
      <comment>summary.mac_new</comment>
      <translation>AHV の VM には新しい MAC アドレスが割り当てられます。</translation>
    </message>
    <message>
      <source>The AHV VMs keep the source MAC addresses.</source>
      <comment>summary.mac_kept</comment>
      <translation>AHV の VM は移行元の MAC アドレスを引き継ぎます。</translation>
    </message>
    <message>
      <source>The MOUNT service of {host} (TCP {port}) does not answer from this computer. Open that port from this computer to the cluster (firewall), or choose cold mode.</source>
      <comment>nfs.probe.mount_unreachable</comment>
      <translation>{host} の MOUNT サービス (TCP {port}) がこのコンピューターから応答しません。このコンピューターからクラスターへのそのポートを開けるか (ファイアウォール)、コールドモードを選んでください。</translation>
    </message>
    <message>
      <source>The NFS service of {host} (TCP {port}) does not answer from this computer. Open TCP 2049 from this computer to the cluster's virtual IP (firewall, VPN), or choose cold mode.</source>
      <comment>nfs.probe.nfs</comment>
      <translation>{host} の NFS サービス (TCP {port}) がこのコンピューターから応答しません。このコンピューターからクラスターの仮想 IP への TCP 2049 を開けるか (ファイアウォール、VPN)、コールドモードを選んでください。</translation>
    </message>
    <message>
      <source>The SSH host key of {vm} is not pinned, so the guest cannot be told from an impostor.</source>
      <comment>readiness.ssh_host_key_not_pinned</comment>
      <translation>{vm} の SSH ホストキーが固定されていないため、ゲストをなりすましと区別できません。</translation>
    </message>
    <message>
      <source>The TLS handshake with {host}:{port} failed.</source>
      <comment>net.tls_failed</comment>
      <translation>{host}:{port} との TLS ハンドシェイクに失敗しました。</translation>
    </message>
    <message>
      <source>The VM has not been seeded yet.</source>
      <comment>test.not_seeded</comment>
      <translation>VM のシードはまだ完了していません。</translation>
    </message>
    <message>
      <source>The VM's files are no longer registered with its host: remove it from the inventory and register its .vmx again (Datastore &gt; Register VM), then check again.</source>
      <comment>readiness.vm_not_connected.fix_orphaned</comment>
      <translation>VM のファイルがホストに登録されていません。インベントリから削除し、.vmx を再登録してから (データストア &gt; VM の登録)、再確認してください。</translation>
    </message>
    <message>
      <source>The account can prepare the guest.</source>
      <comment>guest.test.ok_plain</comment>
      <translation>このアカウントでゲストを準備できます。</translation>
    </message>
    <message>
      <source>The account can prepare the guest. {said}</source>
      <comment>guest.test.ok</comment>
      <translation>このアカウントでゲストを準備できます。{said}</translation>
    </message>
    <message>
      <source>The address may not be routed to the laptop; check from inside the network.</source>
      <comment>cutover.no_answer.hint</comment>
      <translation>そのアドレスへの経路がこのラップトップにない可能性があります。ネットワーク内から確認してください。</translation>
    </message>
    <message>
      <source>The admin check failed.</source>
      <comment>guest.test.failed_plain</comment>
      <translation>管理者権限の確認に失敗しました。</translation>
    </message>
    <message>
      <source>The admin check failed: {said}</source>
      <comment>guest.test.failed</comment>
      <translation>管理者権限の確認に失敗しました: {said}</translation>
    </message>
    <message>
      <source>The bandwidth limit cannot be negative (0 means no limit).</source>
      <comment>wizard.bandwidth</comment>
      <translation>帯域幅の上限に負の値は指定できません (0 は無制限)。</translation>
    </message>
    <message>
      <source>The chosen transfer mode is not reachable.</source>
      <comment>wizard.mode_unreachable</comment>
      <translation>選択した転送モードでは到達できません。</translation>
    </message>
    <message>
      <source>The connection was cancelled.</source>
      <comment>wizard.connect_cancelled</comment>
      <translation>接続はキャンセルされました。</translation>
    </message>
    <message>
      <source>The container has {free} free but the selected VMs need {need}.</source>
      <comment>wizard.container_space</comment>
      <translation>コンテナーの空きは {free} ですが、選択した VM には {need} 必要です。</translation>
    </message>
    <message>
      <source>The demo lab's container folder is there.</source>
      <comment>wizard.mode.lab_ok</comment>
      <translation>デモラボのコンテナーフォルダーがあります。</translation>
    </message>
    <message>
      <source>The downtime budget must be at least 1 second.</source>
      <comment>wizard.downtime_budget</comment>
      <translation>許容ダウンタイムは 1 秒以上にしてください。</translation>
    </message>
    <message>
      <source>The first-boot task reported a failure: {why}</source>
      <comment>cutover.first_boot_failed</comment>
      <translation>初回起動タスクが失敗を報告しました: {why}</translation>
    </message>
    <message>
      <source>The guest OS of {vm} ({os}) has no preparation scripts.</source>
      <comment>readiness.guest_os_unsupported</comment>
      <translation>{vm} のゲスト OS ({os}) には準備スクリプトがありません。</translation>
    </message>
    <message>
      <source>The guest did not report its first boot in time ({why}).</source>
      <comment>cutover.first_boot_late</comment>
      <translation>ゲストが時間内に初回起動を報告しませんでした ({why})。</translation>
    </message>
    <message>
      <source>The guest is shut down from inside, and powered off if it has not stopped after {t}.</source>
      <comment>summary.shutdown_power_off</comment>
      <translation>ゲストは内部からシャットダウンされ、{t} 経っても停止しなければ電源を切ります。</translation>
    </message>
    <message>
      <source>The guest is shut down from inside; if it does not stop, that VM's cutover stops and it keeps running on vSphere.</source>
      <comment>summary.shutdown</comment>
      <translation>ゲストは内部からシャットダウンされます。停止しない場合、その VM のカットオーバーは中止され、vSphere で稼働を続けます。</translation>
    </message>
    <message>
      <source>The guest task list cannot be read ({why}).</source>
      <comment>guest.test.no_tasks</comment>
      <translation>ゲストタスクの一覧を読み込めません ({why})。</translation>
    </message>
    <message>
      <source>The inventory has not been read yet; press Connect.</source>
      <comment>wizard.no_inventory</comment>
      <translation>インベントリをまだ読み込んでいません。「接続」を押してください。</translation>
    </message>
    <message>
      <source>The lab container folder {folder} is missing.</source>
      <comment>wizard.mode.lab_missing</comment>
      <translation>ラボのコンテナーフォルダー {folder} がありません。</translation>
    </message>
    <message>
      <source>The name {host} cannot be resolved.</source>
      <comment>net.no_name</comment>
      <translation>名前 {host} を解決できません。</translation>
    </message>
    <message>
      <source>The plan has no test subnet.</source>
      <comment>test.no_subnet</comment>
      <translation>プランにテスト用サブネットがありません。</translation>
    </message>
    <message>
      <source>The plan's AHV cluster is not on the target.</source>
      <comment>readiness.cluster_missing</comment>
      <translation>プランの AHV クラスターがターゲットにありません。</translation>
    </message>
    <message>
      <source>The plan's jobs are running in this window.</source>
      <comment>manager.plan_running</comment>
      <translation>このプランのジョブはこのウィンドウで実行中です。</translation>
    </message>
    <message>
      <source>The plan's storage container is not on the target.</source>
      <comment>readiness.container_missing</comment>
      <translation>プランのストレージコンテナーがターゲットにありません。</translation>
    </message>
    <message>
      <source>The port must be between 1 and 65535.</source>
      <comment>wizard.port</comment>
      <translation>ポートは 1～65535 の範囲で指定してください。</translation>
    </message>
    <message>
      <source>The portmapper of {host} (TCP {port}) does not answer from this computer, so the NFS service cannot be found. Open TCP 111 and 2049 from this computer to the cluster's virtual IP (firewall, VPN), or choose cold mode.</source>
      <comment>nfs.probe.portmapper</comment>
      <translation>{host} の portmapper (TCP {port}) がこのコンピューターから応答しないため、NFS サービスを見つけられません。このコンピューターからクラスターの仮想 IP への TCP 111 と 2049 を開けるか (ファイアウォール、VPN)、コールドモードを選んでください。</translation>
    </message>
    <message>
      <source>The portmapper of {host} gave no usable answer: {why}</source>
      <comment>nfs.probe.portmapper_error</comment>
      <translation>{host} の portmapper から有効な応答がありません: {why}</translation>
    </message>
    <message>
      <source>The selected VMs need up to {need}; container '{container}' ({role}) has {free} free. Thin disks may fit, but it is tight.</source>
      <comment>readiness.container_space_total</comment>
      <translation>選択した VM には最大 {need} 必要です。コンテナー '{container}' ({role}) の空きは {free} です。シンディスクなら収まるかもしれませんが余裕はありません。</translation>
    </message>
    <message>
      <source>The subnet mapped to {pg} no longer exists on the cluster.</source>
      <comment>wizard.map_gone</comment>
      <translation>{pg} に割り当てたサブネットはクラスター上にもう存在しません。</translation>
    </message>
    <message>
      <source>The sync interval must be at least 1 minute.</source>
      <comment>wizard.sync_interval</comment>
      <translation>同期間隔は 1 分以上にしてください。</translation>
    </message>
    <message>
      <source>The test subnet must be isolated: choose one that no port group maps to.</source>
      <comment>wizard.test_subnet</comment>
      <translation>テスト用サブネットは隔離されている必要があります。どのポートグループにも割り当てていないものを選んでください。</translation>
    </message>
    <message>
      <source>The vCenter account lacks privileges the migration of {vm} needs: {listed}.</source>
      <comment>readiness.missing_privileges</comment>
      <translation>vCenter アカウントに {vm} の移行に必要な権限がありません: {listed}。</translation>
    </message>
    <message>
      <source>This source ({about}) offers no VMware Tools guest operations; use WinRM or SSH for {vm}.</source>
      <comment>guest.test.no_guest_ops</comment>
      <translation>このソース ({about}) は VMware Tools のゲスト操作を提供しません。{vm} には WinRM または SSH を使ってください。</translation>
    </message>
    <message>
      <source>Transfer mode: cold. Each powered-on VM is shut down when the migration starts and stays off while its disks are streamed over HTTPS; it comes up on AHV when its copy is done.</source>
      <comment>summary.cold</comment>
      <translation>転送モード: コールド。稼働中の各 VM は移行開始時にシャットダウンされ、ディスクを HTTPS で転送する間は停止したままです。コピーが終わると AHV で起動します。</translation>
    </message>
    <message>
      <source>Transfer mode: warm. The VMs keep running: a seed, then a delta sync {every}; each VM goes off only at its cutover.</source>
      <comment>summary.warm</comment>
      <translation>転送モード: ウォーム。VM は稼働したままです: シードの後、{every}差分同期します。各 VM が停止するのはカットオーバー時だけです。</translation>
    </message>
    <message>
      <source>Turn 'retain MAC' on, or 'retain IP' off.</source>
      <comment>readiness.ip_retention_needs_mac.fix</comment>
      <translation>「MAC を保持」をオンにするか、「IP を保持」をオフにしてください。</translation>
    </message>
    <message>
      <source>Two VMs of the plan would be called {names} on AHV, names that differ only in case or width.</source>
      <comment>readiness.target_name_twice.case</comment>
      <translation>プランの 2 台の VM が AHV 上で {names} という、大文字小文字や全角半角だけが異なる名前になります。</translation>
    </message>
    <message>
      <source>Two VMs of the plan would be called {names} on AHV.</source>
      <comment>readiness.target_name_twice</comment>
      <translation>プランの 2 台の VM が AHV 上で同じ名前 {names} になります。</translation>
    </message>
    <message>
      <source>Undoing guest preparation</source>
      <comment>step</comment>
      <translation>ゲスト準備を取り消し</translation>
    </message>
    <message>
      <source>Unexpected error: {kind}: {text}</source>
      <comment>error.unexpected</comment>
      <translation>予期しないエラー: {kind}: {text}</translation>
    </message>
    <message>
      <source>Uninstalling VMware Tools</source>
      <comment>step</comment>
      <translation>VMware Tools をアンインストール</translation>
    </message>
    <message>
      <source>Unlock the keyring, then connect again to keep the password.</source>
      <comment>keyring.refused.hint</comment>
      <translation>キーリングのロックを解除してから、パスワードを保存するために再接続してください。</translation>
    </message>
    <message>
      <source>Upgrade the VM compatibility (Actions &gt; Compatibility &gt; Upgrade) with the VM off.</source>
      <comment>readiness.hardware_too_old.fix</comment>
      <translation>VM の電源を切った状態で互換性をアップグレードしてください (アクション &gt; 互換性 &gt; アップグレード)。</translation>
    </message>
    <message>
      <source>Uploading the driver package</source>
      <comment>step</comment>
      <translation>ドライバーパッケージをアップロード</translation>
    </message>
    <message>
      <source>Use HTTPS (port 5986) with the guest's certificate pinned, or the VMware Tools channel.</source>
      <comment>readiness.winrm_http.fix</comment>
      <translation>ゲストの証明書を固定した HTTPS (ポート 5986) か、VMware Tools チャネルを使ってください。</translation>
    </message>
    <message>
      <source>Use WinRM or VMware Tools for this guest.</source>
      <comment>readiness.ssh_needs_linux.fix</comment>
      <translation>このゲストには WinRM または VMware Tools を使ってください。</translation>
    </message>
    <message>
      <source>Use warm mode for a short cutover.</source>
      <comment>readiness.cold_shutdown.fix</comment>
      <translation>短いカットオーバーにはウォームモードを使ってください。</translation>
    </message>
    <message>
      <source>VM '{vm}' is not in the source inventory.</source>
      <comment>readiness.vm_not_found</comment>
      <translation>VM '{vm}' はソースのインベントリにありません。</translation>
    </message>
    <message>
      <source>VMware Tools in {vm} does not accept guest operations yet.</source>
      <comment>readiness.guest_operations_not_ready</comment>
      <translation>{vm} の VMware Tools はまだゲスト操作を受け付けていません。</translation>
    </message>
    <message>
      <source>VMware Tools is {status} in {vm}.</source>
      <comment>readiness.tools_not_running</comment>
      <translation>{vm} の VMware Tools は{status}です。</translation>
    </message>
    <message>
      <source>Wait a minute after boot, or update VMware Tools.</source>
      <comment>readiness.guest_operations_not_ready.fix</comment>
      <translation>起動後しばらく待つか、VMware Tools を更新してください。</translation>
    </message>
    <message>
      <source>Wait for it: xtract-gui status</source>
      <comment>cutover.not_ready.cutting_over.hint</comment>
      <translation>完了を待ってください: xtract-gui status</translation>
    </message>
    <message>
      <source>Wait for the seed.</source>
      <comment>cutover.wait_for_seed</comment>
      <translation>シードの完了を待ってください。</translation>
    </message>
    <message>
      <source>Wait until it is ready for cutover.</source>
      <comment>test.not_seeded.hint</comment>
      <translation>カットオーバー可能になるまで待ってください。</translation>
    </message>
    <message>
      <source>Wait until its seed has finished and it shows 'ready for cutover'.</source>
      <comment>cutover.not_ready.other.hint</comment>
      <translation>シードが完了して「カットオーバー可能」と表示されるまで待ってください。</translation>
    </message>
    <message>
      <source>Waiting for guest</source>
      <comment>step</comment>
      <translation>ゲストを待機</translation>
    </message>
    <message>
      <source>WinRM to {vm} uses plain HTTP with NTLM message encryption: the NTLM exchange can be relayed (NTLM relay) to another server by someone on the path.</source>
      <comment>readiness.winrm_http</comment>
      <translation>{vm} への WinRM は NTLM メッセージ暗号化付きの平文 HTTP を使います。経路上の第三者に NTLM のやり取りを別のサーバーへ中継 (NTLM リレー) される可能性があります。</translation>
    </message>
    <message>
      <source>about {t} (measured again after each sync)</source>
      <comment>summary.downtime.warm</comment>
      <translation>約 {t} (同期のたびに測り直します)</translation>
    </message>
    <message>
      <source>about {t} (off for the whole copy)</source>
      <comment>summary.downtime.cold</comment>
      <translation>約 {t} (コピーの間ずっと停止)</translation>
    </message>
    <message>
      <source>at 1 Gbit/s</source>
      <comment>summary.rate_assumed</comment>
      <translation>(1 Gbit/s の場合)</translation>
    </message>
    <message>
      <source>at the limit of {v} Mbit/s</source>
      <comment>summary.rate_limit</comment>
      <translation>(上限 {v} Mbit/s の場合)</translation>
    </message>
    <message>
      <source>cancelled by the user</source>
      <comment>state.cancelled_by_user</comment>
      <translation>ユーザーがキャンセル</translation>
    </message>
    <message>
      <source>cut over in {downtime} of downtime</source>
      <comment>cutover.done</comment>
      <translation>ダウンタイム {downtime} でカットオーバーしました</translation>
    </message>
    <message>
      <source>estimated copy time {t} {rate}</source>
      <comment>summary.total_time</comment>
      <translation>推定コピー時間 {t} {rate}</translation>
    </message>
    <message>
      <source>every minute</source>
      <comment>summary.every_minutes.one</comment>
      <translation>1 分ごとに</translation>
    </message>
    <message>
      <source>every {n} minutes</source>
      <comment>summary.every_minutes.other</comment>
      <translation>{n} 分ごとに</translation>
    </message>
    <message>
      <source>every {t}</source>
      <comment>summary.every</comment>
      <translation>{t}ごとに</translation>
    </message>
    <message>
      <source>interrupted</source>
      <comment>step.interrupted</comment>
      <translation>中断</translation>
    </message>
    <message>
      <source>no guest channel reaches the guest on AHV; check the console</source>
      <comment>cutover.wait_guest.no_channel</comment>
      <translation>AHV 上のゲストに届くゲストチャネルがありません。コンソールを確認してください</translation>
    </message>
    <message>
      <source>no guest preparation</source>
      <comment>summary.access.none</comment>
      <translation>ゲスト準備なし</translation>
    </message>
    <message>
      <source>no reason given</source>
      <comment>cutover.no_reason</comment>
      <translation>理由不明</translation>
    </message>
    <message>
      <source>not installed</source>
      <comment>readiness.tools.not_installed</comment>
      <translation>未インストール</translation>
    </message>
    <message>
      <source>not running</source>
      <comment>readiness.tools.not_running</comment>
      <translation>停止中</translation>
    </message>
    <message>
      <source>old</source>
      <comment>readiness.tools.old</comment>
      <translation>古いバージョン</translation>
    </message>
    <message>
      <source>paused by the user</source>
      <comment>state.paused_by_user</comment>
      <translation>ユーザーが一時停止</translation>
    </message>
    <message>
      <source>ready for cutover</source>
      <comment>state.ready</comment>
      <translation>カットオーバー可能</translation>
    </message>
    <message>
      <source>resumed</source>
      <comment>state.resumed</comment>
      <translation>再開</translation>
    </message>
    <message>
      <source>the guest was not prepared</source>
      <comment>step.undo.not_prepared</comment>
      <translation>ゲストは準備されていません</translation>
    </message>
    <message>
      <source>the system keyring refused it ({why})</source>
      <comment>keyring.refused</comment>
      <translation>システムのキーリングが拒否しました ({why})</translation>
    </message>
    <message>
      <source>this computer has no keyring service</source>
      <comment>keyring.none</comment>
      <translation>このコンピューターにはキーリングサービス</translation>
    </message>
    <message>
      <source>this computer's address/255.255.255.255</source>
      <comment>readiness.container_whitelist.this_address</comment>
      <translation>このコンピューターのアドレス/255.255.255.255</translation>
    </message>
    <message>
      <source>up to {size} to copy (thin disks copy only what is allocated)</source>
      <comment>summary.total_size</comment>
      <translation>コピー量は最大 {size} (シンディスクは割り当て済みの部分だけをコピー)</translation>
    </message>
    <message>
      <source>where Prism Central puts the disks</source>
      <comment>readiness.role.pc_landing</comment>
      <translation>Prism Central がディスクを置く場所</translation>
    </message>
    <message>
      <source>where the disks are staged over NFS</source>
      <comment>readiness.role.staging</comment>
      <translation>NFS でディスクをステージングする場所</translation>
    </message>
    <message>
      <source>where the disks land</source>
      <comment>readiness.role.landing</comment>
      <translation>ディスクの配置先</translation>
    </message>
    <message>
      <source>{channel}, account {user}</source>
      <comment>summary.access</comment>
      <translation>{channel}、アカウント {user}</translation>
    </message>
    <message>
      <source>{fix} This account lacks Cryptographer.Decrypt: ask an administrator to decrypt it.</source>
      <comment>readiness.encrypted.fix_privilege</comment>
      <translation>{fix} このアカウントには Cryptographer.Decrypt 権限がありません。管理者に復号を依頼してください。</translation>
    </message>
    <message>
      <source>{host} answers on TCP {port} but serves no MOUNT v3 and NFS v3: it is not a Nutanix cluster's NFS service. Enter the cluster's virtual IP (or a CVM) as the NFS address, or choose cold mode.</source>
      <comment>nfs.probe.no_service</comment>
      <translation>{host} は TCP {port} で応答しますが、MOUNT v3 と NFS v3 を提供していません。Nutanix クラスターの NFS サービスではありません。NFS アドレスにクラスターの仮想 IP (または CVM) を入力するか、コールドモードを選んでください。</translation>
    </message>
    <message>
      <source>{host} has no NFS export {export}: the container's name is not what the cluster exports. Choose the container again (names are case-sensitive).</source>
      <comment>nfs.probe.no_export</comment>
      <translation>{host} には NFS エクスポート {export} がありません。コンテナー名がクラスターのエクスポート名と一致しません。コンテナーを選び直してください (名前は大文字と小文字を区別します)。</translation>
    </message>
    <message>
      <source>{host}:{port} did not answer in time.</source>
      <comment>net.timeout</comment>
      <translation>{host}:{port} が時間内に応答しませんでした。</translation>
    </message>
    <message>
      <source>{host}:{port} does not answer in HTTPS (plain HTTP or another protocol is listening there).</source>
      <comment>net.not_tls</comment>
      <translation>{host}:{port} は HTTPS で応答しません (平文の HTTP または別のプロトコルが待ち受けています)。</translation>
    </message>
    <message>
      <source>{host}:{port} refused the connection.</source>
      <comment>net.refused</comment>
      <translation>{host}:{port} が接続を拒否しました。</translation>
    </message>
    <message>
      <source>{h} h {m:02d} min</source>
      <comment>units.hours</comment>
      <translation>{h} 時間 {m:02d} 分</translation>
    </message>
    <message>
      <source>{message} {hint}</source>
      <comment>error.with_hint</comment>
      <translation type="unfinished" />
    </message>
    <message>
      <source>{m} min {s:02d} s</source>
      <comment>units.minutes</comment>
      <translation>{m} 分 {s:02d} 秒</translation>
    </message>
    <message>
      <source>{name} cannot be migrated: {reason} {fix}</source>
      <comment>wizard.vm_blocked</comment>
      <translation>{name} は移行できません: {reason} {fix}</translation>
    </message>
    <message>
      <source>{name}: Basic authentication needs WinRM over HTTPS; use NTLM.</source>
      <comment>wizard.guest_basic_http</comment>
      <translation>{name}: Basic 認証には HTTPS 経由の WinRM が必要です。NTLM を使用してください。</translation>
    </message>
    <message>
      <source>{name}: SSH reaches Linux guests only; choose WinRM or VMware Tools.</source>
      <comment>wizard.guest_ssh_linux</comment>
      <translation>{name}: SSH は Linux ゲスト専用です。WinRM または VMware Tools を選んでください。</translation>
    </message>
    <message>
      <source>{name}: enter the guest account.</source>
      <comment>wizard.guest_user</comment>
      <translation>{name}: ゲストのアカウントを入力してください。</translation>
    </message>
    <message>
      <source>{name}: enter the guest password.</source>
      <comment>wizard.guest_password</comment>
      <translation>{name}: ゲストのパスワードを入力してください。</translation>
    </message>
    <message>
      <source>{name}: enter the password or choose a private key.</source>
      <comment>wizard.guest_ssh_secret</comment>
      <translation>{name}: パスワードを入力するか、秘密鍵を選んでください。</translation>
    </message>
    <message>
      <source>{name}: press Test to see the guest's SSH host key, then trust it.</source>
      <comment>wizard.guest_ssh_key</comment>
      <translation>{name}: 「テスト」を押してゲストの SSH ホストキーを表示し、信頼してください。</translation>
    </message>
    <message>
      <source>{name}: the account test failed: {reason}</source>
      <comment>wizard.guest_test_failed</comment>
      <translation>{name}: アカウントのテストに失敗しました: {reason}</translation>
    </message>
    <message>
      <source>{n} VM</source>
      <comment>summary.total_vms.one</comment>
      <translation>VM {n} 台</translation>
    </message>
    <message>
      <source>{n} VMs</source>
      <comment>summary.total_vms.other</comment>
      <translation>VM {n} 台</translation>
    </message>
    <message>
      <source>{n} disk</source>
      <comment>summary.total_disks.one</comment>
      <translation>ディスク {n} 個</translation>
    </message>
    <message>
      <source>{n} disks</source>
      <comment>summary.total_disks.other</comment>
      <translation>ディスク {n} 個</translation>
    </message>
    <message>
      <source>{s:.1f} s</source>
      <comment>units.took</comment>
      <translation>{s:.1f} 秒</translation>
    </message>
    <message>
      <source>{s} s</source>
      <comment>units.seconds</comment>
      <translation>{s} 秒</translation>
    </message>
    <message>
      <source>{vms}: no guest preparation, so their IP settings are not carried over; set them on AHV.</source>
      <comment>summary.ip_manual</comment>
      <translation>{vms}: ゲスト準備がないため IP 設定は引き継がれません。AHV で設定してください。</translation>
    </message>
    <message>
      <source>{vm} already runs on AHV; it cannot be cancelled any more.</source>
      <comment>manager.cannot_cancel</comment>
      <translation>{vm} は既に AHV で稼働しているため、もうキャンセルできません。</translation>
    </message>
    <message>
      <source>{vm} cannot be shut down: {why}</source>
      <comment>cutover.cannot_shut_down</comment>
      <translation>{vm} をシャットダウンできません: {why}</translation>
    </message>
    <message>
      <source>{vm} did not shut down within {s} s.</source>
      <comment>cutover.shutdown_timeout</comment>
      <translation>{vm} が {s} 秒以内にシャットダウンしませんでした。</translation>
    </message>
    <message>
      <source>{vm} has no virtual disks to migrate.</source>
      <comment>readiness.no_disks</comment>
      <translation>{vm} には移行する仮想ディスクがありません。</translation>
    </message>
    <message>
      <source>{vm} has virtual hardware version {version}; Changed Block Tracking needs 7 or later.</source>
      <comment>readiness.hardware_too_old</comment>
      <translation>{vm} の仮想ハードウェアのバージョンは {version} です。変更ブロック追跡には 7 以降が必要です。</translation>
    </message>
    <message>
      <source>{vm} has {n} NICs; IP retention matches NICs by MAC address, so it needs 'retain MAC' when there is more than one.</source>
      <comment>readiness.ip_retention_needs_mac</comment>
      <translation>{vm} には NIC が {n} 個あります。IP 保持は MAC アドレスで NIC を対応付けるため、複数ある場合は「MAC を保持」が必要です。</translation>
    </message>
    <message>
      <source>{vm} has {n} snapshot; the migration reads the base disk as of its own snapshot and needs the disks consolidated.</source>
      <comment>readiness.existing_snapshots.one</comment>
      <translation>{vm} にはスナップショットが {n} 個あります。移行は自身のスナップショット時点のベースディスクを読むため、ディスクの統合が必要です。</translation>
    </message>
    <message>
      <source>{vm} has {n} snapshots; the migration reads the base disk as of its own snapshot and needs the disks consolidated.</source>
      <comment>readiness.existing_snapshots.other</comment>
      <translation>{vm} にはスナップショットが {n} 個あります。移行は自身のスナップショット時点のベースディスクを読むため、ディスクの統合が必要です。</translation>
    </message>
    <message>
      <source>{vm} has {n} snapshots; vSphere allows 32 in a chain and the migration needs two more.</source>
      <comment>readiness.too_many_snapshots</comment>
      <translation>{vm} にはスナップショットが {n} 個あります。vSphere のチェーンは 32 個までで、移行にはさらに 2 個必要です。</translation>
    </message>
    <message>
      <source>{vm} is already being cut over.</source>
      <comment>cutover.not_ready.cutting_over</comment>
      <translation>{vm} は既にカットオーバー中です。</translation>
    </message>
    <message>
      <source>{vm} is already cut over.</source>
      <comment>cutover.not_ready.done</comment>
      <translation>{vm} は既にカットオーバー済みです。</translation>
    </message>
    <message>
      <source>{vm} is already in a migration ({state}).</source>
      <comment>manager.already_migrating</comment>
      <translation>{vm} は既に移行中です ({state})。</translation>
    </message>
    <message>
      <source>{vm} is encrypted by vSphere: their files hold ciphertext, which would land on AHV as a disk that never boots.</source>
      <comment>readiness.encrypted.vm</comment>
      <translation>{vm} は vSphere で暗号化されています。ファイルの中身は暗号文のため、AHV では起動しないディスクになってしまいます。</translation>
    </message>
    <message>
      <source>{vm} is not ready for cutover yet (state {state}).</source>
      <comment>cutover.not_ready.other</comment>
      <translation>{vm} はまだカットオーバーできません (状態 {state})。</translation>
    </message>
    <message>
      <source>{vm} is not ready for cutover: its job failed ({why}).</source>
      <comment>cutover.not_ready.failed</comment>
      <translation>{vm} はカットオーバーできません: ジョブが失敗しました ({why})。</translation>
    </message>
    <message>
      <source>{vm} is not ready for cutover: its job is paused.</source>
      <comment>cutover.not_ready.paused</comment>
      <translation>{vm} はカットオーバーできません: ジョブは一時停止中です。</translation>
    </message>
    <message>
      <source>{vm} is not ready for cutover: its last cutover was rolled back ({why}).</source>
      <comment>cutover.not_ready.rolled_back</comment>
      <translation>{vm} はカットオーバーできません: 前回のカットオーバーはロールバックされました ({why})。</translation>
    </message>
    <message>
      <source>{vm} is powered off; guest preparation runs inside the running guest.</source>
      <comment>readiness.guest_prep_needs_power</comment>
      <translation>{vm} は電源がオフです。ゲスト準備は稼働中のゲスト内で行います。</translation>
    </message>
    <message>
      <source>{vm} is {state} in vCenter: it cannot be snapshotted or read.</source>
      <comment>readiness.vm_not_connected</comment>
      <translation>{vm} は vCenter で {state} の状態のため、スナップショットも読み取りもできません。</translation>
    </message>
    <message>
      <source>{vm} needs its disks consolidated: an earlier snapshot removal left delta files, so its base disks are not current.</source>
      <comment>readiness.consolidation_needed</comment>
      <translation>{vm} はディスクの統合が必要です。以前のスナップショット削除で差分ファイルが残り、ベースディスクが最新ではありません。</translation>
    </message>
    <message>
      <source>{vm} needs up to {need} and container '{container}' ({role}) has {free} free.</source>
      <comment>readiness.container_space</comment>
      <translation>{vm} には最大 {need} 必要ですが、コンテナー '{container}' ({role}) の空きは {free} です。</translation>
    </message>
    <message>
      <source>{vm} uses UEFI Secure Boot, which needs an AHV VM of machine type Q35; Prism Element cannot create one (its API has no machine type).</source>
      <comment>readiness.secure_boot_needs_pc</comment>
      <translation>{vm} は UEFI セキュアブートを使っており、マシンタイプ Q35 の AHV VM が必要です。Prism Element ではそれを作成できません (API にマシンタイプがありません)。</translation>
    </message>
    <message>
      <source>{vm} uses UEFI Secure Boot; it will be created with machine type Q35 and Secure Boot.</source>
      <comment>readiness.secure_boot</comment>
      <translation>{vm} は UEFI セキュアブートを使っています。マシンタイプ Q35 とセキュアブートで作成します。</translation>
    </message>
    <message>
      <source>{vm} was cancelled.</source>
      <comment>cutover.not_ready.cancelled</comment>
      <translation>{vm} はキャンセルされました。</translation>
    </message>
    <message>
      <source>–</source>
      <comment>units.unknown</comment>
      <translation type="unfinished" />
    </message>
  </context>
</TS>
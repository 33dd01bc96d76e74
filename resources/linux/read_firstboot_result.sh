# Print the first-boot result file as this task's data.
TASK=linux.read_firstboot_result

RESULT="$STATE_DIR/firstboot-result.json"
if [ ! -s "$RESULT" ]; then
  pending=false
  [ -f "$ROOT$FIRSTBOOT_UNIT" ] && pending=true
  if [ "$pending" = true ]; then
    finish false "The first-boot task has not finished yet; ask again in a minute." "{\"pending\":true}"
  fi
  finish false "There is no first-boot result and the first-boot task is not installed: run 'Installing the first-boot task' before cutover." "{\"pending\":false}"
fi
result=$(tr -d '\n' <"$RESULT")
case $result in
  '{"ok":true,'*) finish true "The first-boot task finished on AHV and restored the network." "$result" ;;
  *) finish false "The first-boot task ran on AHV but reported errors: see data.errors and fix them on the VM console." "$result" ;;
esac

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_k8s_rotate_global_optspecs
    string join \n h/help V/version
end

function __fish_k8s_rotate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_k8s_rotate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_k8s_rotate_using_subcommand
    set -l cmd (__fish_k8s_rotate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -s V -l version -d 'Print version'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "plan" -d 'What every remaining step writes and restarts, in order; writes nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "prepare" -d 'idle -> prepare: a new CA (or SA key) per target; every trust file becomes old+new'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "issue" -d 'prepare -> issue/clients, then issue/clients -> issue/servers: the new CAs sign'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "distrust" -d 'issue/servers -> distrust: the old CAs and SA key leave every trust file'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "finish" -d 'distrust -> done: the old private keys are deleted'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "status" -d 'Where the rotation is, and what comes next'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "rollback" -d 'One step back, from any phase before done: the step\'s backup is put back'
complete -c k8s-rotate -n "__fish_k8s_rotate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l target -d 'Rotate this one (repeatable)' -r -f -a "ca\t'The cluster CA (pki/ca)'
etcd-ca\t'The etcd CA (pki/etcd/ca)'
front-proxy-ca\t'The front-proxy CA (pki/front-proxy-ca)'
sa\t'The service-account key (pki/sa.key, pki/sa.pub)'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l to -d 'Plan only up to this step (prepare, clients, servers, distrust, finish)' -r -f -a "prepare\t'idle -> prepare'
clients\t'prepare -> issue/clients'
servers\t'issue/clients -> issue/servers'
distrust\t'issue/servers -> distrust'
finish\t'distrust -> done'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l cluster-dump -d 'A dump of the cluster\'s objects (kubectl get configmaps,secrets,pods, validatingwebhookconfigurations,mutatingwebhookconfigurations,apiservices, customresourcedefinitions -A -o json); repeat to merge, - is stdin. plan lists the objects each step needs updated and by whom; distrust refuses while one carries an old CA without the new one' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -l all -d 'Rotate the three CAs and the service-account key'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l target -d 'Rotate this one (repeatable)' -r -f -a "ca\t'The cluster CA (pki/ca)'
etcd-ca\t'The etcd CA (pki/etcd/ca)'
front-proxy-ca\t'The front-proxy CA (pki/front-proxy-ca)'
sa\t'The service-account key (pki/sa.key, pki/sa.pub)'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l cn -d 'CN of the new CA (default: kubeadm\'s CN and @ and the Unix time, e.g. kubernetes@1795000000)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l days -d 'Lifetime of new CAs, days (default 3650, kubeadm\'s)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l duration -d 'Lifetime of new CAs as a duration: 87600h, 10y' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l algo -d 'Key algorithm of new CAs and keys (default: the old key\'s)' -r -f -a "rsa2048\t'RSA 2048 (kubeadm\'s default)'
rsa3072\t'RSA 3072'
rsa4096\t'RSA 4096'
ecdsa-p256\t'ECDSA P-256'
ecdsa-p384\t'ECDSA P-384'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l sa-min-soak -d 'Least time between the new SA key starting to sign and distrust (kubelets refresh tokens within 24h)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l all -d 'Rotate the three CAs and the service-account key'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -l same-cn -d 'Keep the old CA\'s CN (Go\'s messages then cannot tell old and new apart)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand prepare" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l step -d 'Which certificates: clients first, then servers' -r -f -a "clients\t'Client certificates and kubeconfigs; the new CAs and SA key start signing'
servers\t'Server certificates (etcd peers too)'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l days -d 'Lifetime of re-issued certificates, days (default 365, kubeadm\'s)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l duration -d 'Lifetime of re-issued certificates as a duration: 8760h, 1y, 90d' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -l keep-keys -d 'Keep each certificate\'s key (default: a fresh key of the same algorithm)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand issue" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l cluster-dump -d 'A dump of the cluster\'s objects (kubectl get configmaps,secrets,pods, validatingwebhookconfigurations,mutatingwebhookconfigurations,apiservices, customresourcedefinitions -A -o json); repeat to merge, - is stdin. plan lists the objects each step needs updated and by whom; distrust refuses while one carries an old CA without the new one' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand distrust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand finish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l pki-dir -d 'The directory holding pki/ and the kubeconfigs (/etc/kubernetes)' -r -F
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l force -d 'Overrides the step\'s gate, recorded in rotation.json with REASON' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l confirm -d 'The operator\'s word that the previous step\'s restarts were done (prepare-restarts, clients-refreshed), or, for distrust, that each kubelet\'s own client certificate on its node is signed by the new CA (kubelet-clients-renewed)' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l node -d 'Only what node NAME needs: the shared files and nodes/NAME/, its restarts' -r
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l format -d 'Output format of plan, status and each step\'s report' -r -f -a "text\t'Human-readable text'
json\t'JSON'"
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l dry-run -d 'Show what the step would write and restart; write nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "plan" -d 'What every remaining step writes and restarts, in order; writes nothing'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "prepare" -d 'idle -> prepare: a new CA (or SA key) per target; every trust file becomes old+new'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "issue" -d 'prepare -> issue/clients, then issue/clients -> issue/servers: the new CAs sign'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "distrust" -d 'issue/servers -> distrust: the old CAs and SA key leave every trust file'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "finish" -d 'distrust -> done: the old private keys are deleted'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "status" -d 'Where the rotation is, and what comes next'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "rollback" -d 'One step back, from any phase before done: the step\'s backup is put back'
complete -c k8s-rotate -n "__fish_k8s_rotate_using_subcommand help; and not __fish_seen_subcommand_from plan prepare issue distrust finish status rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

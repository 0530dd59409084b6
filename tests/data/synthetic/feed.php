<?php
// Served as source by a misconfigured web server instead of running.
header('Content-Type: text/plain');
foreach (file('/var/lib/feed/ips.txt') as $ip) {
    echo trim($ip), "\n";
}

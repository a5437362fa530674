#!/bin/sh
echo "unison sample service"
